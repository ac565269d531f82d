/**
 * `safe-install policy learn` (pure): from the JSON report of a run, the minimal per-package grants
 * under which the same run would pass in enforce mode (no error finding), and nothing more. Only
 * error findings are read (warnings and notes do not fail a run), plus timeouts. Each grant comes
 * from one finding: a host from `egress-unexpected` (report mode) or `egress-blocked`, a directory
 * from `write-outside-package`, a time limit from `script-timeout`. What must never become a grant
 * (credential reads, secrets leaving, persistence, tampering, escaped processes, direct
 * connections, metadata endpoints, indicators of compromise) is a violation: listed, never
 * granted, and the grants of a package with one are withheld unless `allowViolations`.
 * Environment grants are not learnt: a report does not name the variables a script looked for.
 */
import type { PathRules } from '../trace/path-rules.js'
import type { Finding, Report } from '../types.js'
import { minimalHosts, networkCovered, proposeNetwork } from './learn-network.js'
import { proposeWrite, writeCovered } from './learn-write.js'
import { grantFor, type Policy } from './policy.js'

export interface LearnInput {
  readonly report: Report
  /** The policy the grants go into, merged over its preset: what it already grants is not learnt again. */
  readonly policy: Policy
  /** Where the policy file lives (the project): never granted, nor any directory holding it. */
  readonly projectDir: string
  readonly pathRules: PathRules
  /** Indicators of compromise (host, address or CIDR → why), never granted. */
  readonly denied: ReadonlyMap<string, string>
  /** Key grants by `name@version` instead of `name`. */
  readonly pinVersion: boolean
  /** Write the grants of packages that also have violations (the violations are never granted). */
  readonly allowViolations: boolean
}

export interface LearntGrant {
  /** The key under `packages`: a name, or name@version with pinVersion. */
  readonly key: string
  readonly network: readonly string[]
  readonly write: readonly string[]
  readonly timeoutSec?: number
  /** For each entry, the finding that asked for it: `network cdn.example.test:8080 (egress-unexpected, postinstall)`. */
  readonly because: readonly string[]
}

export interface NotGranted {
  /** name@version */
  readonly package: string
  readonly event?: string
  readonly rule: string
  /** The host, path or command concerned. */
  readonly subject: string
  /** `violation`: never a grant, needs review (exit 1); `unresolved`: learn cannot or must not grant it. */
  readonly kind: 'violation' | 'unresolved'
  readonly reason: string
}

export interface LearnResult {
  readonly grants: readonly LearntGrant[]
  /** Learnt but not to be written: the package has violations and allowViolations is off. */
  readonly withheld: readonly LearntGrant[]
  readonly notGranted: readonly NotGranted[]
  readonly notes: readonly string[]
}

/** Longest time limit learn proposes, in seconds; longer needs a person. */
export const LEARN_TIMEOUT_CAP_SEC = 3600

const VIOLATIONS: Readonly<Record<string, string>> = {
  'credential-read': 'reading credentials is never granted',
  'secret-exfiltration': 'a secret leaving is never granted (rotate it if it was real)',
  'persistence': 'planting code that runs later is never granted',
  'package-tamper': "changing another package or the project's manifests is never granted",
  'escaped-process': 'a process outliving its hook is never granted',
  'direct-connection': 'a socket that bypasses the egress proxy cannot be granted: the script must use the proxy',
  'metadata-endpoint': 'cloud metadata endpoints are never reachable from install scripts',
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

/** What a finding is about, for one line of output. */
const subjectOf = (f: Finding): string => {
  const e = f.evidence
  const host = text(e['host']) ?? text(e['address'])
  if (host !== undefined) return num(e['port']) === undefined ? host : `${host}:${String(num(e['port']))}`
  return text(e['path']) ?? text(e['url']) ?? text(e['command']) ?? text(e['name']) ?? f.rule
}

interface Draft {
  readonly key: string
  readonly name: string
  readonly version: string
  network: string[]
  write: string[]
  timeoutSec?: number
  /** `<field> <value> (<why>)`, one per finding that asked; only those of kept entries are shown. */
  readonly because: Array<{ readonly field: 'network' | 'write' | 'timeoutSec'; readonly value: string; readonly line: string }>
}

export const learnGrants = (input: LearnInput): LearnResult => {
  const { report, policy } = input
  const drafts = new Map<string, Draft>()
  const notGranted: NotGranted[] = []
  const violators = new Set<string>()
  const failures: Finding[] = []
  /** Hooks with a refused connection or write: `allowed` once a grant (learnt or present) covers one. */
  const hooks = new Map<string, 'allowed' | 'refused'>()
  const hookOf = (f: Finding): string => `${f.package.name}@${f.package.version} ${f.event ?? ''}`
  const mark = (f: Finding, state: 'allowed' | 'refused'): void => {
    if (hooks.get(hookOf(f)) !== 'allowed') hooks.set(hookOf(f), state)
  }
  let ignored = 0
  const exfiltrated = new Set(report.findings.filter((f) => f.rule === 'secret-exfiltration').map((f) => text(f.evidence['host'])))

  const keyOf = (f: Finding): string => (input.pinVersion && f.package.version !== '' ? `${f.package.name}@${f.package.version}` : f.package.name)
  const id = (f: Finding): string => `${f.package.name}${f.package.version === '' ? '' : `@${f.package.version}`}`
  const refuse = (f: Finding, kind: NotGranted['kind'], reason: string): void => {
    if (kind === 'violation') violators.add(keyOf(f))
    notGranted.push({ package: id(f), ...(f.event === undefined ? {} : { event: f.event }), rule: f.rule, subject: subjectOf(f), kind, reason })
  }
  const draftOf = (f: Finding): Draft => {
    const key = keyOf(f)
    const draft = drafts.get(key) ?? { key, name: f.package.name, version: f.package.version, network: [], write: [], because: [] }
    drafts.set(key, draft)
    return draft
  }
  const add = (f: Finding, field: 'network' | 'write', value: string): void => {
    const draft = draftOf(f)
    if (!draft[field].includes(value)) draft[field].push(value)
    const line = `${field} ${value} (${f.rule}${f.event === undefined ? '' : `, ${f.event}`})`
    if (!draft.because.some((b) => b.line === line)) draft.because.push({ field, value, line })
    mark(f, 'allowed')
  }
  const granted = (f: Finding) => grantFor(policy, f.package.name, f.package.version)

  for (const f of report.findings) {
    if (f.rule === 'script-timeout') {
      learnTimeout(f, { policy, draft: () => draftOf(f), granted: granted(f), refuse: (reason) => refuse(f, 'unresolved', reason) })
      continue
    }
    if (f.severity !== 'error') {
      ignored += 1
      continue
    }
    const violation = VIOLATIONS[f.rule]
    if (violation !== undefined) {
      refuse(f, 'violation', violation)
      continue
    }
    switch (f.rule) {
      case 'egress-unexpected':
      case 'egress-blocked': {
        const host = text(f.evidence['host'])
        const port = num(f.evidence['port'])
        if (host === undefined || port === undefined || f.event === undefined) {
          refuse(f, 'unresolved', "npm's own fetch while resolving dependencies, not an install script: if the dependency is legitimate, add its host to network.allow by hand")
          break
        }
        if (networkCovered({ host, port }, [...policy.network, ...granted(f).network])) {
          mark(f, 'allowed')
          break
        }
        mark(f, 'refused')
        if (exfiltrated.has(host)) {
          refuse(f, 'violation', `${host} was sent a secret in the same run`)
          break
        }
        const category = text(f.evidence['category'])
        const reason = text(f.evidence['reason'])
        const proposal = proposeNetwork({ host, port, ...(category === undefined ? {} : { category }), ...(reason === undefined ? {} : { reason }) }, input.denied)
        if (proposal.kind === 'grant') add(f, 'network', proposal.grant)
        else refuse(f, proposal.violation ? 'violation' : 'unresolved', proposal.reason)
        break
      }
      case 'write-outside-package': {
        const path = text(f.evidence['path'])
        const proposal = path === undefined ? { kind: 'refuse' as const, reason: 'the finding names no path' } : proposeWrite(path, input.projectDir, input.pathRules)
        if (proposal.kind === 'refuse') refuse(f, 'unresolved', proposal.reason)
        else if (!writeCovered(proposal.grant, granted(f).write)) add(f, 'write', proposal.grant)
        mark(f, proposal.kind === 'refuse' ? 'refused' : 'allowed')
        break
      }
      case 'script-failed':
        failures.push(f)
        break
      case 'unreviewed-script':
        refuse(f, 'unresolved', 'approve it in allowScripts (or deny it): running a script at all is not a grant')
        break
      default:
        refuse(f, 'unresolved', 'learn has no grant for this rule')
    }
  }

  const notes: string[] = []
  for (const f of failures) {
    const state = hooks.get(hookOf(f))
    if (state === 'allowed') {
      notes.push(`${f.event ?? 'a hook'} of ${id(f)} failed, probably because of a refusal that the grants now allow; check with another run in report mode`)
    } else if (state === undefined) {
      refuse(f, 'unresolved', 'the script failed and nothing in the report explains it: a grant cannot fix a failing script')
    }
  }
  const learnt = [...drafts.values()].map(finish).filter((g) => g.network.length > 0 || g.write.length > 0 || g.timeoutSec !== undefined)
  return {
    grants: learnt.filter((g) => input.allowViolations || !violators.has(g.key)),
    withheld: learnt.filter((g) => !input.allowViolations && violators.has(g.key)),
    notGranted,
    notes: [...notes, ...contextNotes(report, ignored)],
  }
}

const finish = (draft: Draft): LearntGrant => {
  const network = minimalHosts(draft.network)
  const write = draft.write.filter((dir) => !draft.write.some((other) => other !== dir && writeCovered(dir, [other])))
  const kept = (b: Draft['because'][number]): boolean =>
    b.field === 'network' ? network.includes(b.value) : b.field === 'write' ? write.includes(b.value) : b.value === String(draft.timeoutSec)
  return {
    key: draft.key, network, write,
    ...(draft.timeoutSec === undefined ? {} : { timeoutSec: draft.timeoutSec }),
    because: draft.because.filter(kept).map((b) => b.line),
  }
}

/** A hook that ran out of time: twice as long as it ran, capped at LEARN_TIMEOUT_CAP_SEC. */
const learnTimeout = (
  f: Finding,
  ctx: { policy: Policy; draft: () => Draft; granted: ReturnType<typeof grantFor>; refuse: (reason: string) => void },
): void => {
  const current = ctx.granted.timeoutSec ?? ctx.policy.timeoutSec
  const ranMs = num(f.evidence['durationMs']) ?? current * 1000
  const wanted = Math.min(LEARN_TIMEOUT_CAP_SEC, Math.ceil((2 * ranMs) / 1000))
  if (wanted <= current) {
    ctx.refuse(`its limit is already ${current} s${current >= LEARN_TIMEOUT_CAP_SEC ? `, learn's cap` : ''}: raise timeoutSec by hand if it really needs longer`)
    return
  }
  const draft = ctx.draft()
  if ((draft.timeoutSec ?? 0) >= wanted) return
  draft.timeoutSec = wanted
  draft.because.push({ field: 'timeoutSec', value: String(wanted), line: `timeoutSec ${wanted} (script-timeout${f.event === undefined ? '' : `, ${f.event}`}: killed after ${(ranMs / 1000).toFixed(1)} s)` })
}

const contextNotes = (report: Report, ignored: number): string[] => [
  'env is not learnt: the report does not name the environment variables a script looked for; grant them by hand under packages.<name>.env',
  ...(report.mode === 'enforce'
    ? ['this report is from an enforce run: a hook stopped at its first refusal may need more; learn from a run with --mode report']
    : []),
  ...(report.isolation.tracer === 'none'
    ? ['no tracer ran: writes outside the packages were not recorded, so no write grant could be learnt']
    : []),
  ...(ignored > 0 ? [`${ignored} warning and note findings need no grant (they do not fail an enforce run)`] : []),
]

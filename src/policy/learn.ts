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
import { networkCovered, proposeNetwork } from './learn-network.js'
import { finishDraft, num, startLearning, text, type Learning } from './learn-state.js'
import { proposeWrite, writeCovered } from './learn-write.js'
import type { Policy } from './policy.js'

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

export const learnGrants = (input: LearnInput): LearnResult => {
  const s = startLearning(input)
  const failures: Finding[] = []
  let ignored = 0
  const exfiltrated = new Set(input.report.findings.filter((f) => f.rule === 'secret-exfiltration').map((f) => text(f.evidence['host'])))
  for (const f of input.report.findings) {
    if (f.rule === 'script-timeout') {
      learnTimeout(f, s)
      continue
    }
    if (f.severity !== 'error') {
      ignored += 1
      continue
    }
    const violation = VIOLATIONS[f.rule]
    if (violation !== undefined) {
      s.refuse(f, 'violation', violation)
      continue
    }
    switch (f.rule) {
      case 'egress-unexpected':
      case 'egress-blocked':
        learnNetwork(f, s, exfiltrated)
        break
      case 'write-outside-package':
        learnWrite(f, s)
        break
      case 'script-failed':
        failures.push(f)
        break
      case 'unreviewed-script':
        s.refuse(f, 'unresolved', 'approve it in allowScripts (or deny it): running a script at all is not a grant')
        break
      default:
        s.refuse(f, 'unresolved', 'learn has no grant for this rule')
    }
  }
  const notes = explainFailures(failures, s)
  const learnt = [...s.drafts.values()].map(finishDraft).filter((g) => g.network.length > 0 || g.write.length > 0 || g.timeoutSec !== undefined)
  return {
    grants: learnt.filter((g) => input.allowViolations || !s.violators.has(g.key)),
    withheld: learnt.filter((g) => !input.allowViolations && s.violators.has(g.key)),
    notGranted: s.notGranted,
    notes: [...notes, ...contextNotes(input.report, ignored)],
  }
}

/** A connection the grants refused (or report mode let through): the exact host, unless it must not be granted. */
const learnNetwork = (f: Finding, s: Learning, exfiltrated: ReadonlySet<string | undefined>): void => {
  const host = text(f.evidence['host'])
  const port = num(f.evidence['port'])
  if (host === undefined || port === undefined || f.event === undefined) {
    s.refuse(f, 'unresolved', "npm's own fetch while resolving dependencies, not an install script: if the dependency is legitimate, add its host to network.allow by hand")
    return
  }
  if (networkCovered({ host, port }, [...s.input.policy.network, ...s.granted(f).network])) {
    s.mark(f, 'allowed')
    return
  }
  s.mark(f, 'refused')
  if (exfiltrated.has(host)) {
    s.refuse(f, 'violation', `${host} was sent a secret in the same run`)
    return
  }
  const category = text(f.evidence['category'])
  const reason = text(f.evidence['reason'])
  const proposal = proposeNetwork({ host, port, ...(category === undefined ? {} : { category }), ...(reason === undefined ? {} : { reason }) }, s.input.denied)
  if (proposal.kind === 'grant') s.add(f, 'network', proposal.grant)
  else s.refuse(f, proposal.violation ? 'violation' : 'unresolved', proposal.reason)
}

/** A write outside the package: the directory written in, unless it opens more than a cache. */
const learnWrite = (f: Finding, s: Learning): void => {
  const path = text(f.evidence['path'])
  const proposal = path === undefined ? { kind: 'refuse' as const, reason: 'the finding names no path' } : proposeWrite(path, s.input.projectDir, s.input.pathRules)
  if (proposal.kind === 'refuse') s.refuse(f, 'unresolved', proposal.reason)
  else if (!writeCovered(proposal.grant, s.granted(f).write)) s.add(f, 'write', proposal.grant)
  s.mark(f, proposal.kind === 'refuse' ? 'refused' : 'allowed')
}

/** A hook that ran out of time: twice as long as it ran, capped at LEARN_TIMEOUT_CAP_SEC. */
const learnTimeout = (f: Finding, s: Learning): void => {
  const current = s.granted(f).timeoutSec ?? s.input.policy.timeoutSec
  const ranMs = num(f.evidence['durationMs']) ?? current * 1000
  const wanted = Math.min(LEARN_TIMEOUT_CAP_SEC, Math.ceil((2 * ranMs) / 1000))
  if (wanted <= current) {
    s.refuse(f, 'unresolved', `its limit is already ${current} s${current >= LEARN_TIMEOUT_CAP_SEC ? `, learn's cap` : ''}: raise timeoutSec by hand if it really needs longer`)
    return
  }
  const draft = s.draft(f)
  if ((draft.timeoutSec ?? 0) >= wanted) return
  draft.timeoutSec = wanted
  draft.because.push({ field: 'timeoutSec', value: String(wanted), line: `timeoutSec ${wanted} (script-timeout${f.event === undefined ? '' : `, ${f.event}`}: killed after ${(ranMs / 1000).toFixed(1)} s)` })
}

/**
 * A failed hook that was also refused a connection or write failed because of it, probably: a note
 * when a grant now allows that, nothing more when the refusal is listed. Otherwise no grant helps.
 */
const explainFailures = (failures: readonly Finding[], s: Learning): string[] => {
  const notes: string[] = []
  for (const f of failures) {
    const state = s.hooks.get(s.hookOf(f))
    if (state === 'allowed') {
      notes.push(`${f.event ?? 'a hook'} of ${s.idOf(f)} failed, probably because of a refusal that the grants now allow; check with another run in report mode`)
    } else if (state === undefined) {
      s.refuse(f, 'unresolved', 'the script failed and nothing in the report explains it: a grant cannot fix a failing script')
    }
  }
  return notes
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

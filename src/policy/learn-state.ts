/** The running state of one `policy learn` pass (pure): grants drafted per key, refusals, hooks seen. */
import type { Finding } from '../types.js'
import type { LearnInput, LearntGrant, NotGranted } from './learn.js'
import { minimalHosts } from './learn-network.js'
import { writeCovered } from './learn-write.js'
import { grantFor, type PackageGrant } from './policy.js'

export type GrantField = 'network' | 'write' | 'timeoutSec'

export interface Draft {
  readonly key: string
  readonly network: string[]
  readonly write: string[]
  timeoutSec?: number
  /** One line per finding that asked for an entry; only those of kept entries are shown. */
  readonly because: Array<{ readonly field: GrantField; readonly value: string; readonly line: string }>
}

export interface Learning {
  readonly input: LearnInput
  readonly drafts: Map<string, Draft>
  readonly notGranted: NotGranted[]
  /** Keys of packages with a violation: their grants are withheld unless allowViolations. */
  readonly violators: Set<string>
  /** Per hook: `allowed` once a connection or write it was refused is granted (learnt or present). */
  readonly hooks: Map<string, 'allowed' | 'refused'>
  keyOf(f: Finding): string
  /** name@version, as messages show a package. */
  idOf(f: Finding): string
  hookOf(f: Finding): string
  /** What the policy grants the finding's package already. */
  granted(f: Finding): PackageGrant
  draft(f: Finding): Draft
  add(f: Finding, field: 'network' | 'write', value: string): void
  mark(f: Finding, state: 'allowed' | 'refused'): void
  refuse(f: Finding, kind: NotGranted['kind'], reason: string): void
}

export const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
export const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

/** What a finding is about, for one line of output. */
const subjectOf = (f: Finding): string => {
  const e = f.evidence
  const host = text(e['host']) ?? text(e['address'])
  if (host !== undefined) return num(e['port']) === undefined ? host : `${host}:${String(num(e['port']))}`
  return text(e['path']) ?? text(e['url']) ?? text(e['command']) ?? text(e['name']) ?? f.rule
}

export const startLearning = (input: LearnInput): Learning => {
  const state: Learning = {
    input, drafts: new Map(), notGranted: [], violators: new Set(), hooks: new Map(),
    keyOf: (f) => (input.pinVersion && f.package.version !== '' ? `${f.package.name}@${f.package.version}` : f.package.name),
    idOf: (f) => `${f.package.name}${f.package.version === '' ? '' : `@${f.package.version}`}`,
    hookOf: (f) => `${f.package.name}@${f.package.version} ${f.event ?? ''}`,
    // What the policy already gives the package once approved (a preset's entries apply to approved registry packages).
    granted: (f) => grantFor(input.policy, { name: f.package.name, version: f.package.version, approval: 'approved', source: 'registry', isRoot: false }),
    draft: (f) => {
      const key = state.keyOf(f)
      const draft = state.drafts.get(key) ?? { key, network: [], write: [], because: [] }
      state.drafts.set(key, draft)
      return draft
    },
    add: (f, field, value) => {
      const draft = state.draft(f)
      if (!draft[field].includes(value)) draft[field].push(value)
      const line = `${field} ${value} (${f.rule}${f.event === undefined ? '' : `, ${f.event}`})`
      if (!draft.because.some((b) => b.line === line)) draft.because.push({ field, value, line })
      state.mark(f, 'allowed')
    },
    mark: (f, hook) => {
      if (state.hooks.get(state.hookOf(f)) !== 'allowed') state.hooks.set(state.hookOf(f), hook)
    },
    refuse: (f, kind, reason) => {
      if (kind === 'violation') state.violators.add(state.keyOf(f))
      state.notGranted.push({ package: state.idOf(f), ...(f.event === undefined ? {} : { event: f.event }), rule: f.rule, subject: subjectOf(f), kind, reason })
    },
  }
  return state
}

/** A draft as written: hosts a bare host covers and directories inside another one dropped. */
export const finishDraft = (draft: Draft): LearntGrant => {
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

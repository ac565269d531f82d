import type { InstalledPackage } from '../../types.js'
import type { AllowEntries } from '../allow-scripts-edit.js'
import { registryNameOf } from '../allow-scripts-keys.js'
import { planApproval, type AllowChange } from '../allow-scripts-plan.js'
import type { ImportedDecision, UnmappedDecision } from './types.js'

export interface ImportPlan {
  readonly next: AllowEntries
  readonly changes: readonly AllowChange[]
  readonly warnings: readonly string[]
  readonly unmapped: readonly UnmappedDecision[]
  /** Decisions not written because allowScripts already decides the package (import never overrides it). */
  readonly kept: ReadonlyArray<{ readonly decision: ImportedDecision; readonly entry: string }>
}

/**
 * Turn other tools' decisions into allowScripts entries the way `policy approve|deny` writes them:
 * an approval by name pins every installed version (or stays a bare name, with `--no-pin` or when
 * the package is not installed), exact versions become one `name@version` key each, a denial is
 * the name-only `name: false`. Packages allowScripts already has an entry for are left alone, and
 * where the tools disagree the denial wins, as in npm's matcher; both are reported.
 */
export const planImport = (
  entries: AllowEntries, installed: readonly InstalledPackage[], decisions: readonly ImportedDecision[], pin: boolean,
): ImportPlan => {
  const unmapped: UnmappedDecision[] = []
  const kept: Array<{ decision: ImportedDecision; entry: string }> = []
  const changes: AllowChange[] = []
  const warnings: string[] = []
  let next: AllowEntries = entries
  const seen = new Set<string>()
  for (const decision of decisions) {
    const identity = `${decision.name}\u0000${String(decision.allow)}\u0000${decision.versions?.join('||') ?? ''}`
    if (seen.has(identity)) continue
    seen.add(identity)
    const denial = decision.allow ? decisions.find((other) => !other.allow && other.name === decision.name && other.versions === null) : undefined
    if (denial !== undefined) {
      unmapped.push({ tool: decision.tool, from: decision.from, reason: `${denial.from} denies ${decision.name}; the denial wins, as in npm` })
      continue
    }
    const existing = existingEntry(entries, installed, decision.name)
    if (existing !== undefined) {
      kept.push({ decision, entry: existing })
      continue
    }
    const result = applyDecision(next, installed, decision, pin)
    next = result.next
    const installedHere = installed.some((pkg) => pkg.displayName === decision.name)
    const note = [decision.note, decision.versions === null && !installedHere ? 'not installed here, so written by name' : undefined]
      .filter((text) => text !== undefined).join('; ')
    changes.push(...result.changes.map((change) => (change.action === 'removed' ? change
      : { ...change, from: decision.from, ...(note === '' ? {} : { note }) })))
    warnings.push(...result.warnings)
  }
  return { next, changes, warnings, unmapped, kept }
}

/** An entry of the file as it was that names the package (any version). */
const existingEntry = (entries: AllowEntries, installed: readonly InstalledPackage[], name: string): string | undefined =>
  entries.find(([key]) => key === name || registryNameOf(key) === name)?.[0]
  ?? installed.find((pkg) => pkg.displayName === name && pkg.targetedBy.length > 0)?.targetedBy[0]

const applyDecision = (
  entries: AllowEntries, installed: readonly InstalledPackage[], decision: ImportedDecision, pin: boolean,
): { next: AllowEntries; changes: readonly AllowChange[]; warnings: readonly string[] } => {
  const isInstalled = installed.some((pkg) => pkg.displayName === decision.name && pkg.nameKey !== null)
  if (decision.versions === null && isInstalled) {
    return planApproval(entries, installed, { verb: decision.allow ? 'approve' : 'deny', specs: [decision.name], all: false, pin })
  }
  const keys = decision.versions === null ? [decision.name] : decision.versions.map((version) => `${decision.name}@${version}`)
  const allow = new Map(entries)
  const changes: AllowChange[] = []
  for (const key of keys) {
    if (allow.get(key) === decision.allow) continue
    allow.set(key, decision.allow)
    changes.push({ action: decision.allow ? 'approved' : 'denied', key, value: decision.allow })
  }
  return { next: [...allow], changes, warnings: [] }
}

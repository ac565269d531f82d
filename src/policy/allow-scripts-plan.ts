import semver from 'semver'
import { SafeInstallError } from '../errors.js'
import type { InstalledPackage } from '../types.js'
import type { AllowEntries } from './allow-scripts-edit.js'
import { isNameOnlyKey, isPackageName, isSingleVersionPin, parseAllowKey } from './allow-scripts-keys.js'

/** Why an entry left allowScripts. */
export type RemovalReason = 'stale' | 'replaced-by-pin' | 'approved-by-name' | 'superseded-by-deny' | 'not-installed' | 'no-scripts'

export type AllowChange =
  | { readonly action: 'approved' | 'denied'; readonly key: string; readonly value: boolean; readonly from?: string; readonly note?: string }
  | { readonly action: 'removed'; readonly key: string; readonly value: boolean; readonly reason: RemovalReason }

export interface AllowPlan {
  readonly next: AllowEntries
  readonly changes: readonly AllowChange[]
  readonly warnings: readonly string[]
}

export interface ApprovalRequest {
  readonly verb: 'approve' | 'deny'
  /** Package names, optionally narrowed to installed versions by a range (`esbuild@0.25.12`); empty with `all`. */
  readonly specs: readonly string[]
  /** Every installed package with install scripts and no entry yet. */
  readonly all: boolean
  /** `--no-pin`: approve by name instead of one `name@version` key per installed version. */
  readonly pin: boolean
}

/**
 * `policy approve|deny`, npm 11's `install-scripts approve|deny` on data (npm's
 * lib/utils/allow-scripts-writer.js): approving pins each installed version (`name@1.2.3`, one key
 * per version), drops pins of versions no longer installed and a name-only entry once every
 * installed version is pinned; an existing deny of the package wins and only warns. Denying writes
 * the name-only `name: false` and drops the package's other entries. Unlike npm 11.19, a pin is
 * stale only when its version is installed nowhere in the tree (npm also drops pins of installed
 * versions left out by `--all` or a narrowing range).
 */
export const planApproval = (entries: AllowEntries, installed: readonly InstalledPackage[], request: ApprovalRequest): AllowPlan => {
  const chosen = request.all ? installed.filter((pkg) => pkg.unreviewed) : matchSpecs(installed, request.specs)
  const allow = new Map(entries)
  const changes: AllowChange[] = []
  const warnings: string[] = []
  for (const [name, group] of groupByIdentity(chosen, warnings)) {
    const identity = installed.filter((pkg) => pkg.nameKey === name)
    const result = request.verb === 'approve'
      ? approveGroup(allow, name, group, identity, request.pin)
      : denyGroup(allow, name, group)
    changes.push(...result.changes)
    if (result.warning !== undefined) warnings.push(result.warning)
  }
  return { next: [...allow], changes, warnings }
}

/**
 * `policy prune`: npm's classifyUnusedEntries. An entry goes when no installed package matches it
 * (`not-installed`) or none of those it matches has install scripts (`no-scripts`); approvals and
 * denials alike. Keys that cannot be a package spec are kept: prune never drops what it cannot read.
 */
export const planPrune = (entries: AllowEntries, installed: readonly InstalledPackage[]): AllowPlan => {
  const candidates = installed.filter((pkg) => !pkg.linkOrInert)
  const next: Array<[string, boolean]> = []
  const changes: AllowChange[] = []
  for (const [key, value] of entries) {
    const parsed = parseAllowKey(key)
    const matching = candidates.filter((pkg) => pkg.matchedBy.includes(key))
    if (parsed.kind === 'registry' && !isPackageName(parsed.name)) next.push([key, value])
    else if (matching.length === 0) changes.push({ action: 'removed', key, value, reason: 'not-installed' })
    else if (!matching.some((pkg) => pkg.hasScripts)) changes.push({ action: 'removed', key, value, reason: 'no-scripts' })
    else next.push([key, value])
  }
  return { next, changes, warnings: [] }
}

/** Parse `name` or `name@range` as npm's positional argument: a bare name (or `@*`) matches every installed version. */
const parsePositional = (spec: string): { name: string; range: string | null } => {
  const parsed = parseAllowKey(spec)
  if (parsed.kind !== 'registry') return { name: spec, range: null }
  const range = parsed.spec?.trim() ?? ''
  return { name: parsed.name, range: range === '' || range === '*' || semver.validRange(range, { loose: true }) === null ? null : range }
}

const matchSpecs = (installed: readonly InstalledPackage[], specs: readonly string[]): InstalledPackage[] => {
  const found = new Map<string, InstalledPackage>()
  const unmatched: string[] = []
  for (const spec of specs) {
    const { name, range } = parsePositional(spec)
    const hits = installed.filter((pkg) => pkg.displayName === name
      && (range === null || (pkg.displayVersion !== null && semver.satisfies(pkg.displayVersion, range, { loose: true }))))
    if (hits.length === 0) unmatched.push(spec)
    for (const hit of hits) found.set(hit.location, hit)
  }
  if (unmatched.length > 0) {
    throw new SafeInstallError('EUSAGE', `no installed package matches ${unmatched.map((spec) => JSON.stringify(spec)).join(', ')}; nothing was changed`,
      'check the name with `npm ls <name>`, or install the package first (safe-install install)')
  }
  return [...found.values()]
}

const groupByIdentity = (packages: readonly InstalledPackage[], warnings: string[]): Map<string, InstalledPackage[]> => {
  const groups = new Map<string, InstalledPackage[]>()
  for (const pkg of packages) {
    if (pkg.nameKey === null) {
      warnings.push(`skipping ${pkg.displayName ?? pkg.location}: no trusted identity for an allowScripts key (its lockfile entry has no resolved source)`)
      continue
    }
    groups.set(pkg.nameKey, [...(groups.get(pkg.nameKey) ?? []), pkg])
  }
  return groups
}

interface GroupResult {
  readonly changes: AllowChange[]
  readonly warning?: string
}

const approveGroup = (
  allow: Map<string, boolean>, name: string, group: readonly InstalledPackage[], identity: readonly InstalledPackage[], pin: boolean,
): GroupResult => {
  const sample = group[0]
  if (sample === undefined) return { changes: [] }
  for (const pkg of group) {
    const deny = [...allow].find(([key, value]) => value === false && pkg.targetedBy.includes(key))
    if (deny !== undefined) return { changes: [], warning: denyWarning(deny[0], name) }
  }
  const changes: AllowChange[] = []
  const dropPins = (keep: ReadonlySet<string>, reason: RemovalReason): void => {
    for (const [key, value] of [...allow]) {
      if (value && key !== name && sample.targetedBy.includes(key) && isSingleVersionPin(key) && !keep.has(key)) {
        allow.delete(key)
        changes.push({ action: 'removed', key, value, reason })
      }
    }
  }
  const approveName = (): void => {
    if (allow.get(name) === true) return
    allow.set(name, true)
    changes.push({ action: 'approved', key: name, value: true })
  }
  const pins = group.map((pkg) => pkg.versionedKey)
  if (!pin || pins.some((key) => key === null)) {
    dropPins(new Set(), 'approved-by-name')
    approveName()
    const warning = pin && changes.length > 0
      ? `${name}: approved by name (all versions) because its package-lock.json entry has no "resolved" URL, so no version can be pinned; run npm install to refresh the lockfile, then approve again to pin`
      : undefined
    return { changes, ...(warning === undefined ? {} : { warning }) }
  }
  const wanted = new Set(pins.filter((key): key is string => key !== null))
  const installedPins = new Set([...wanted, ...identity.map((pkg) => pkg.versionedKey).filter((key): key is string => key !== null)])
  dropPins(installedPins, 'stale')
  for (const key of wanted) {
    if (allow.get(key) !== true) {
      allow.set(key, true)
      changes.push({ action: 'approved', key, value: true })
    }
  }
  const everyVersionPinned = [...group, ...identity].every((pkg) => pkg.versionedKey !== null && allow.get(pkg.versionedKey) === true)
  if (!wanted.has(name) && allow.get(name) === true && everyVersionPinned) {
    allow.delete(name)
    changes.push({ action: 'removed', key: name, value: true, reason: 'replaced-by-pin' })
  }
  return { changes }
}

const denyGroup = (allow: Map<string, boolean>, name: string, group: readonly InstalledPackage[]): GroupResult => {
  const sample = group[0]
  if (sample === undefined) return { changes: [] }
  const changes: AllowChange[] = []
  for (const [key, value] of [...allow]) {
    if (key !== name && sample.targetedBy.includes(key)) {
      allow.delete(key)
      changes.push({ action: 'removed', key, value, reason: 'superseded-by-deny' })
    }
  }
  if (allow.get(name) !== false) {
    allow.set(name, false)
    changes.push({ action: 'denied', key: name, value: false })
  }
  return { changes }
}

/** npm's deny-wins message: a name-only deny must be removed; a versioned one can also be widened. */
const denyWarning = (key: string, name: string): string =>
  isNameOnlyKey(key)
    ? `${key} is denied; remove the entry from allowScripts to approve ${name}`
    : `${key} is a versioned deny; run \`safe-install policy deny ${name}\` to deny every version, or remove the entry to approve ${name}`

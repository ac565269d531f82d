import semver from 'semver'
import type { PackageRecord } from '../types.js'

/** What a pin covers, recorded with it at approval so a change can be shown (src/policy/pin.ts). */
export interface PinnedContent {
  readonly scripts: Readonly<Record<string, string>>
  readonly files: Readonly<Record<string, string>>
  /** The approved tarball's integrity: its files are read back from npm's cache for a line diff. */
  readonly integrity?: string
}

/** What one package's approved scripts may do beyond the policy-wide grants. */
export interface PackageGrant {
  readonly network: readonly string[]
  readonly write: readonly string[]
  readonly env: readonly string[]
  readonly timeoutSec?: number
  readonly pin?: string
  readonly pinned?: PinnedContent
}

/** The presets shipped in policies/, usable in `extends`. */
export const PRESET_NAMES = ['default', 'strict', 'known-packages'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

/**
 * Where a package entry came from. The user's own file applies to whatever has that identity (the
 * user wrote it). A preset's curated entry describes the registry package of that name, so it
 * applies only to that package, approved, and within `versions` (null: every version).
 */
export type GrantOrigin =
  | { readonly kind: 'policy' }
  | { readonly kind: 'preset'; readonly preset: PresetName; readonly versions: string | null }

export interface PolicyEntry extends PackageGrant {
  readonly origin: GrantOrigin
}

/** The parsed safe-install.policy.json, merged over the presets it extends. */
export interface Policy {
  readonly source: string
  readonly unreviewed?: 'sandbox' | 'skip' | 'fail'
  readonly timeoutSec: number
  readonly network: readonly string[]
  readonly envPass: readonly string[]
  /** Keys: a package name, or name@version (the user's file only). */
  readonly packages: Readonly<Record<string, PolicyEntry>>
}

/** What grantFor needs to know of the package whose script is about to run. */
export type GrantSubject = Pick<PackageRecord, 'name' | 'version' | 'approval' | 'source' | 'isRoot'>

const NO_GRANT: PackageGrant = { network: [], write: [], env: [] }

/**
 * Security: a preset never widens what an unreviewed, denied or look-alike script may do. Its
 * grants go only to a registry package (identity from the lockfile / resolved URL, so a git or
 * file dependency that calls itself "puppeteer" gets nothing) that the user approved in
 * allowScripts, never to the project's own scripts, and only to versions the entry was written for.
 */
const applies = (entry: PolicyEntry, pkg: GrantSubject): boolean => {
  switch (entry.origin.kind) {
    case 'policy':
      return true
    case 'preset': {
      if (pkg.approval !== 'approved' || pkg.source !== 'registry' || pkg.isRoot) return false
      const { versions } = entry.origin
      return versions === null || (semver.valid(pkg.version) !== null && semver.satisfies(pkg.version, versions, { includePrerelease: true }))
    }
  }
}

/** The entry under `key` when it applies to `pkg`; own keys only (a package may be called "constructor"). */
const entryFor = (policy: Policy, key: string, pkg: GrantSubject): PolicyEntry | undefined => {
  const entry = Object.hasOwn(policy.packages, key) ? policy.packages[key] : undefined
  return entry !== undefined && applies(entry, pkg) ? entry : undefined
}

/** The grant for a package (pure): `name@version` adds to `name`; lists are merged. */
export const grantFor = (policy: Policy, pkg: GrantSubject): PackageGrant => {
  const byName = entryFor(policy, pkg.name, pkg)
  const byVersion = entryFor(policy, `${pkg.name}@${pkg.version}`, pkg)
  if (byName === undefined && byVersion === undefined) return NO_GRANT
  const a = byName ?? NO_GRANT
  const b = byVersion ?? NO_GRANT
  const timeoutSec = b.timeoutSec ?? a.timeoutSec
  const pin = b.pin ?? a.pin
  return {
    network: [...a.network, ...b.network],
    write: [...a.write, ...b.write],
    env: [...a.env, ...b.env],
    ...(timeoutSec === undefined ? {} : { timeoutSec }),
    ...(pin === undefined ? {} : { pin }),
  }
}

export interface PinRecord {
  /** The policy key (`name` or `name@version`). */
  readonly key: string
  readonly version: string | undefined
  readonly pin: string
  readonly pinned: PinnedContent | undefined
}

/** Every pin the policy records for a package name, by version (name-only keys last). */
export const pinsFor = (policy: Policy, name: string): PinRecord[] =>
  Object.entries(policy.packages).flatMap(([key, grant]) => {
    if (grant.pin === undefined) return []
    const at = key.lastIndexOf('@')
    const keyName = at > 0 ? key.slice(0, at) : key
    if (keyName !== name) return []
    return [{ key, version: at > 0 ? key.slice(at + 1) : undefined, pin: grant.pin, pinned: grant.pinned }]
  })

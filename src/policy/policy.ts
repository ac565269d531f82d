/** What a pin covers, recorded with it at approval so a change can be shown (src/policy/pin.ts). */
export interface PinnedContent {
  readonly scripts: Readonly<Record<string, string>>
  readonly files: Readonly<Record<string, string>>
  /** The approved tarball's integrity: its files are read back from npm's cache for a line diff. */
  readonly integrity?: string
}

/** The parsed safe-install.policy.json, merged over its preset. */
export interface PackageGrant {
  readonly network: readonly string[]
  readonly write: readonly string[]
  readonly env: readonly string[]
  readonly timeoutSec?: number
  readonly pin?: string
  readonly pinned?: PinnedContent
}

export interface Policy {
  readonly source: string
  readonly unreviewed?: 'sandbox' | 'skip' | 'fail'
  readonly timeoutSec: number
  readonly network: readonly string[]
  readonly envPass: readonly string[]
  readonly packages: Readonly<Record<string, PackageGrant>>
}

const NO_GRANT: PackageGrant = { network: [], write: [], env: [] }

/** The grant for a package: `name@version` wins over `name`; lists are merged. */
export const grantFor = (policy: Policy, name: string, version: string): PackageGrant => {
  const byName = policy.packages[name]
  const byVersion = policy.packages[`${name}@${version}`]
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

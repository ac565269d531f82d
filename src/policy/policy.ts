/** The parsed safe-install.policy.json, merged over its preset. */
export interface PackageGrant {
  readonly network: readonly string[]
  readonly write: readonly string[]
  readonly env: readonly string[]
  readonly timeoutSec?: number
  readonly pin?: string
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

/**
 * The `network` grant `policy learn` may propose for one connection a hook made (pure): the host
 * exactly as the hook asked for it (a name stays a name, a literal address stays that address),
 * with `:port` unless the port is 80 or 443. Never a wildcard. Refused: what only a person may
 * decide (loopback, private and other non-public addresses, IPv6 literals the policy file cannot
 * hold yet) and what is never granted (metadata endpoints, indicators of compromise).
 */
import { deniedBy } from '../egress/denied-hosts.js'
import { decideEgress, normalizeHost, parseGrants } from '../egress/host-rules.js'

export interface EgressTarget {
  readonly host: string
  readonly port: number
  /** The category of the proxy's denial, when the report names one (egress-blocked evidence). */
  readonly category?: string
  readonly reason?: string
}

export type NetworkProposal =
  | { readonly kind: 'grant'; readonly grant: string }
  | { readonly kind: 'refuse'; readonly violation: boolean; readonly reason: string }

/** The `network` entry pattern of policies/policy.schema.json. */
const POLICY_HOST = /^(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$/

const BY_HAND = 'learn never grants it; grant it by hand, by that exact name or address, only if you trust what listens there'

export const proposeNetwork = (target: EgressTarget, denied: ReadonlyMap<string, string>): NetworkProposal => {
  const refuse = (reason: string, violation = false): NetworkProposal => ({ kind: 'refuse', violation, reason })
  const host = normalizeHost(target.host)
  if (host.kind === 'invalid') return refuse(`${host.reason}: nothing to grant`)
  const shown = host.kind === 'name' ? host.name : host.ip.text
  const ioc = deniedBy(denied, shown)
  if (ioc !== undefined || target.category === 'indicator') {
    return refuse(`${shown} is a known indicator of compromise${ioc === undefined ? '' : ` (${ioc})`}`, true)
  }
  const decision = decideEgress({ host: shown, port: target.port }, [])
  if (decision.kind === 'allow') return refuse(`${shown} needs no grant`)
  if (decision.category === 'metadata' || target.category === 'metadata') return refuse(`${decision.reason}`, true)
  if (decision.category !== 'not-granted') return refuse(`${decision.reason}; ${BY_HAND}`)
  if (target.category !== undefined && target.category !== 'not-granted') {
    return refuse(`${target.reason ?? `the proxy refused it (${target.category})`}; ${BY_HAND}`)
  }
  if (host.kind === 'address' && host.ip.family === 6) {
    return refuse(`${shown} is an IPv6 address, which the policy file cannot grant yet (policies/policy.schema.json)`)
  }
  const grant = target.port === 80 || target.port === 443 ? shown : `${shown}:${target.port}`
  if (!POLICY_HOST.test(grant)) return refuse(`${grant} has characters the policy file does not accept (policies/policy.schema.json)`)
  return { kind: 'grant', grant }
}

/** Whether grants already allow a connection (as the egress proxy would decide it). */
export const networkCovered = (target: { readonly host: string; readonly port: number }, grants: readonly string[]): boolean =>
  decideEgress(target, parseGrants(grants).grants).kind === 'allow'

/** Drop `host:port` entries that a bare `host` in the same list already covers. */
export const minimalHosts = (grants: readonly string[]): string[] => {
  const bare = new Set(grants.filter((grant) => !grant.includes(':')))
  return [...new Set(grants)].filter((grant) => !grant.includes(':') || !bare.has(grant.slice(0, grant.lastIndexOf(':'))))
}

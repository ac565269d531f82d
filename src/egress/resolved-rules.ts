import { classifyAddress, parseIpLiteral } from './ip-address.js'
import type { EgressDecision, HostGrant } from './host-rules.js'

export type AllowDecision = Extract<EgressDecision, { kind: 'allow' }>

const LABEL: Record<string, string> = { private: 'private-network' }

/**
 * Second check for a granted name that the proxy resolves itself, against DNS rebinding: a name
 * never leads to a metadata address (unless that address is granted exactly), and a name granted
 * only by a wildcard (or let through ungranted by --mode report) never leads to a loopback, private,
 * link-local or other non-public address. A name granted exactly may resolve to a private address (a company mirror): the user named it.
 * Returns the address to dial on success, so the checked address is the one reached.
 */
export const decideResolved = (
  allowed: AllowDecision,
  port: number,
  addresses: readonly string[],
  grants: readonly HostGrant[],
): { readonly kind: 'dial'; readonly address: string } | Extract<EgressDecision, { kind: 'deny' }> => {
  const name = allowed.host
  if (addresses.length === 0) return { kind: 'deny', reason: `${name} resolves to no address`, category: 'invalid', host: name }
  for (const text of addresses) {
    const ip = parseIpLiteral(text)
    if (ip === null) return { kind: 'deny', reason: `${name} resolves to an unreadable address`, category: 'invalid', host: name }
    const { category } = classifyAddress(ip)
    if (category === 'public') continue
    const granted = grants.some((g) => g.kind === 'address' && g.address === ip.text && (g.port === null || g.port === port))
    if (granted) continue
    if (category === 'metadata') {
      return { kind: 'deny', reason: `${name} resolves to metadata endpoint ${ip.text}, which is never reachable from install scripts`, category, host: name }
    }
    if (allowed.via !== 'exact') {
      const never = allowed.via === 'wildcard' ? `the wildcard grant ${allowed.rule} never reaches` : 'an ungranted name never reaches in report mode'
      return { kind: 'deny', reason: `${name} resolves to ${LABEL[category] ?? category} address ${ip.text}, which ${never}`, category, host: name }
    }
  }
  return { kind: 'dial', address: parseIpLiteral(addresses[0] ?? '')?.text ?? '' }
}

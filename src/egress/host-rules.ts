/**
 * Which hosts an install script may reach (pure). A grant is `host`, `host:port`, `*.suffix`,
 * `*.suffix:port`, an IP address or `[v6]:port`; a grant without a port allows every port.
 * Literal IPs, loopback, private, link-local and cloud metadata are denied unless granted by that
 * exact name or address: a `*.x` wildcard grants names only, and only names that are not
 * loopback or metadata names. Names are normalised (lowercase, no trailing dot, IDNA) before
 * matching, so `LOCALHOST.` and `localhost` are one host.
 */
import { domainToASCII } from 'node:url'
import { classifyAddress, parseIPv4, parseIPv6, type AddressCategory, type IpAddress } from './ip-address.js'

export type HostGrant =
  | { readonly kind: 'name'; readonly name: string; readonly port: number | null; readonly text: string }
  | { readonly kind: 'wildcard'; readonly suffix: string; readonly port: number | null; readonly text: string }
  | { readonly kind: 'address'; readonly address: string; readonly port: number | null; readonly text: string }

export type NormalizedHost =
  | { readonly kind: 'address'; readonly ip: IpAddress }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'invalid'; readonly reason: string }

/** `indicator`: an indicator of compromise of the malicious-package index, refused whatever the grants or mode say. */
export type DenyCategory = Exclude<AddressCategory, 'public'> | 'not-granted' | 'indicator' | 'invalid'

export type EgressDecision =
  | {
    readonly kind: 'allow'
    /** The grant text that allowed it. */
    readonly rule: string
    /** Canonical host: lowercase ASCII name, dotted quad, or compressed IPv6 without brackets. */
    readonly host: string
    /** `report`: granted by nothing, let through by --mode report; like a wildcard, it never reaches a non-public address. */
    readonly via: 'exact' | 'wildcard' | 'report'
    readonly target: 'name' | 'address'
  }
  | { readonly kind: 'deny'; readonly reason: string; readonly category: DenyCategory; readonly host: string }

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'])
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'])
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

/** A host name or literal for showing in a one-line reason: control characters escaped (not shortened). */
export const printableHost = (raw: string): string => JSON.stringify(raw).slice(1, -1)

const invalid = (raw: string): NormalizedHost => ({ kind: 'invalid', reason: `invalid host name "${printableHost(raw)}"` })

/** Lowercase, strip the trailing dot, IDNA-encode; literals in any resolver form become canonical addresses. */
export const normalizeHost = (raw: string): NormalizedHost => {
  if (raw.startsWith('[') || raw.includes(':')) {
    const ip = parseIPv6(raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw)
    return ip === null ? invalid(raw) : { kind: 'address', ip }
  }
  if (raw === '' || raw.length > 254 || /[\s\p{Cc}]/u.test(raw)) return invalid(raw)
  const lower = raw.toLowerCase().replace(/\.$/, '')
  const direct = parseIPv4(lower)
  if (direct !== null) return { kind: 'address', ip: direct }
  const ascii = domainToASCII(lower).replace(/\.$/, '')
  const v4 = parseIPv4(ascii)
  if (v4 !== null) return { kind: 'address', ip: v4 }
  if (ascii === '' || ascii.length > 253 || !ascii.split('.').every((label) => LABEL.test(label))) return invalid(raw)
  return { kind: 'name', name: ascii }
}

const nameCategory = (name: string): 'metadata' | 'loopback' | 'public' =>
  METADATA_NAMES.has(name) ? 'metadata' : LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') ? 'loopback' : 'public'

/** True for cloud metadata endpoints, by name or by address in any form (`::ffff:169.254.169.254` too). */
export const isMetadataHost = (host: string): boolean => {
  const normalized = normalizeHost(host)
  switch (normalized.kind) {
    case 'name': return nameCategory(normalized.name) === 'metadata'
    case 'address': return classifyAddress(normalized.ip).category === 'metadata'
    case 'invalid': return false
  }
}

const parsePort = (text: string): number | null => {
  if (!/^\d{1,5}$/.test(text)) return null
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : null
}

const splitGrant = (text: string): { host: string; port: string | null } => {
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    const rest = close < 0 ? '' : text.slice(close + 1)
    return { host: close < 0 ? text : text.slice(0, close + 1), port: rest === '' ? null : rest.startsWith(':') ? rest.slice(1) : 'bad' }
  }
  const colons = text.split(':').length - 1
  if (colons !== 1) return { host: text, port: null }
  const at = text.indexOf(':')
  return { host: text.slice(0, at), port: text.slice(at + 1) }
}

export type GrantParse = { readonly kind: 'ok'; readonly grant: HostGrant } | { readonly kind: 'invalid'; readonly reason: string }

/** Read one grant of the policy's `network` lists. */
export const parseGrant = (text: string): GrantParse => {
  const bad = (why: string): GrantParse => ({ kind: 'invalid', reason: `network grant "${printableHost(text)}" ${why}` })
  const parts = splitGrant(text.trim())
  const port = parts.port === null ? null : parsePort(parts.port)
  if (parts.port !== null && port === null) return bad('has an invalid port')
  if (parts.host === '*') return bad('would grant every host; list the hosts instead')
  const wildcard = parts.host.startsWith('*.')
  if (parts.host.slice(wildcard ? 2 : 0).includes('*')) return bad('may only start with "*." as a wildcard')
  const host = normalizeHost(parts.host.slice(wildcard ? 2 : 0))
  switch (host.kind) {
    case 'invalid': return bad('is not a host name or IP address')
    case 'address':
      return wildcard ? bad('puts a wildcard on an IP address') : { kind: 'ok', grant: { kind: 'address', address: host.ip.text, port, text } }
    case 'name':
      return { kind: 'ok', grant: wildcard ? { kind: 'wildcard', suffix: host.name, port, text } : { kind: 'name', name: host.name, port, text } }
  }
}

/** Parse every grant; the invalid ones are returned apart, for the caller to refuse (fail closed). */
export const parseGrants = (texts: readonly string[]): { grants: HostGrant[]; invalid: string[] } => {
  const grants: HostGrant[] = []
  const invalidGrants: string[] = []
  for (const text of texts) {
    const parsed = parseGrant(text)
    if (parsed.kind === 'ok') grants.push(parsed.grant)
    else invalidGrants.push(parsed.reason)
  }
  return { grants, invalid: invalidGrants }
}

const portMatches = (grant: HostGrant, port: number): boolean => grant.port === null || grant.port === port

const CATEGORY_LABEL: Record<Exclude<AddressCategory, 'public' | 'metadata'>, string> = {
  loopback: 'loopback', private: 'private-network', 'link-local': 'link-local',
  unspecified: 'unspecified', multicast: 'multicast', reserved: 'reserved',
}

const describeAddress = (ip: IpAddress, embedded: IpAddress | undefined): string =>
  embedded === undefined ? ip.text : `${ip.text} (${embedded.text})`

const portsText = (grants: readonly HostGrant[]): string =>
  [...new Set(grants.map((g) => g.port))].sort((a, b) => (a ?? 0) - (b ?? 0)).join(', ')

const decideAddress = (ip: IpAddress, port: number, grants: readonly HostGrant[]): EgressDecision => {
  const same = grants.filter((g) => g.kind === 'address' && g.address === ip.text)
  const hit = same.find((g) => portMatches(g, port))
  if (hit !== undefined) return { kind: 'allow', rule: hit.text, host: ip.text, via: 'exact', target: 'address' }
  const { category, embedded } = classifyAddress(ip)
  const shown = describeAddress(ip, embedded)
  const deny = (reason: string, cat: DenyCategory): EgressDecision => ({ kind: 'deny', reason, category: cat, host: ip.text })
  if (category === 'metadata') return deny(`metadata endpoint ${shown} is never reachable from install scripts`, 'metadata')
  if (same.length > 0) return deny(`address ${shown} is granted only on port ${portsText(same)}, not ${port}`, 'not-granted')
  if (category === 'public') return deny(`address ${shown} is not granted (a wildcard never grants an IP address)`, 'not-granted')
  return deny(`${CATEGORY_LABEL[category]} address ${shown} is not reachable unless granted by that exact address`, category)
}

const decideName = (name: string, port: number, grants: readonly HostGrant[]): EgressDecision => {
  const exact = grants.filter((g) => g.kind === 'name' && g.name === name)
  const hit = exact.find((g) => portMatches(g, port))
  if (hit !== undefined) return { kind: 'allow', rule: hit.text, host: name, via: 'exact', target: 'name' }
  const category = nameCategory(name)
  const deny = (reason: string, cat: DenyCategory): EgressDecision => ({ kind: 'deny', reason, category: cat, host: name })
  if (category === 'metadata') return deny(`metadata endpoint ${name} is never reachable from install scripts`, 'metadata')
  if (category === 'loopback') return deny(`loopback host ${name} is not reachable unless granted by that exact name`, 'loopback')
  const wild = grants.filter((g) => g.kind === 'wildcard' && name.endsWith(`.${g.suffix}`))
  const wildHit = wild.find((g) => portMatches(g, port))
  if (wildHit !== undefined) return { kind: 'allow', rule: wildHit.text, host: name, via: 'wildcard', target: 'name' }
  const sameHost = [...exact, ...wild]
  if (sameHost.length > 0) return deny(`host ${name} is granted only on port ${portsText(sameHost)}, not ${port}`, 'not-granted')
  return deny(`host ${name} is not in this package's network grants`, 'not-granted')
}

/**
 * Decide one connection attempt. Total: every input gets a decision; anything unparsable is denied.
 * The `host` of the decision is what the proxy must dial (or hand to the upstream proxy).
 */
export const decideEgress = (target: { readonly host: string; readonly port: number }, grants: readonly HostGrant[]): EgressDecision => {
  const host = normalizeHost(target.host)
  if (host.kind === 'invalid') return { kind: 'deny', reason: host.reason, category: 'invalid', host: printableHost(target.host) }
  const shown = host.kind === 'name' ? host.name : host.ip.text
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    return { kind: 'deny', reason: `invalid port ${String(target.port)} for ${shown}`, category: 'invalid', host: shown }
  }
  return host.kind === 'name' ? decideName(host.name, target.port, grants) : decideAddress(host.ip, target.port, grants)
}

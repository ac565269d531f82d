/**
 * IP literals read the way the system resolver reads them (inet_aton forms for IPv4), and what
 * kind of address each one is. Pure. The proxy decides on these, then dials the canonical text,
 * so what was checked is exactly what is reached.
 */
import { isIPv6 } from 'node:net'

export type AddressCategory =
  | 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved'

export interface IpAddress {
  readonly family: 4 | 6
  /** Canonical text: a dotted quad, or RFC 5952 compressed lowercase IPv6 (no brackets). */
  readonly text: string
  /** 4 or 16 bytes, network order. */
  readonly bytes: readonly number[]
}

export interface AddressClass {
  readonly category: AddressCategory
  /** The IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4, Teredo), when any. */
  readonly embedded?: IpAddress
}

const parseAtonPart = (part: string): number | null => {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16)
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8)
  if (/^[1-9][0-9]*$/.test(part)) return parseInt(part, 10)
  return null
}

const fromUint32 = (value: number): IpAddress => {
  const bytes = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]
  return { family: 4, text: bytes.join('.'), bytes }
}

/**
 * IPv4 in every form inet_aton / getaddrinfo accept: `127.0.0.1`, `127.1`, `2130706433`,
 * `0x7f.0.0.1`, `0177.0.0.1`, `0x7f000001`. The last part fills the remaining bytes.
 */
export const parseIPv4 = (text: string): IpAddress | null => {
  const parts = text.split('.')
  if (parts.length > 4) return null
  const values: number[] = []
  for (const part of parts) {
    const value = parseAtonPart(part)
    if (value === null) return null
    values.push(value)
  }
  const last = values.pop() ?? 0
  if (values.some((v) => v > 255)) return null
  if (last > 2 ** (8 * (4 - values.length)) - 1) return null
  const high = values.reduce((sum, v, i) => sum + v * 2 ** (8 * (3 - i)), 0)
  return fromUint32(high + last)
}

const groupsOf = (side: string): number[] | null => {
  if (side === '') return []
  const groups: number[] = []
  for (const piece of side.split(':')) {
    if (piece.includes('.')) {
      const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(piece) ? parseIPv4(piece) : null
      if (v4 === null) return null
      const [a = 0, b = 0, c = 0, d = 0] = v4.bytes
      groups.push(a * 256 + b, c * 256 + d)
    } else {
      groups.push(parseInt(piece, 16))
    }
  }
  return groups
}

const compress = (groups: readonly number[]): string => {
  let best = { start: -1, length: 1 }
  for (let i = 0; i < 8; i += 1) {
    let j = i
    while (j < 8 && groups[j] === 0) j += 1
    if (j - i > best.length) best = { start: i, length: j - i }
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.start < 0) return hex.join(':')
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`
}

/** An IPv6 literal without brackets; zone ids (`%eth0`) are refused. */
export const parseIPv6 = (text: string): IpAddress | null => {
  if (text.includes('%') || !isIPv6(text)) return null
  const halves = text.split('::')
  if (halves.length > 2) return null
  const left = groupsOf(halves[0] ?? '')
  const right = halves.length === 2 ? groupsOf(halves[1] ?? '') : []
  if (left === null || right === null) return null
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0
  const groups = [...left, ...Array<number>(Math.max(fill, 0)).fill(0), ...right]
  if (groups.length !== 8) return null
  const bytes = groups.flatMap((g) => [g >>> 8, g & 255])
  return { family: 6, text: compress(groups), bytes }
}

/** Either family; IPv6 may be bracketed. */
export const parseIpLiteral = (text: string): IpAddress | null =>
  text.startsWith('[') && text.endsWith(']') ? parseIPv6(text.slice(1, -1)) : parseIPv4(text) ?? parseIPv6(text)

const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192'])
const METADATA_V6 = new Set(['fd00:ec2::254', 'fd00:ec2::23'])

const V4_RANGES: ReadonlyArray<readonly [string, number, AddressCategory]> = [
  ['0.0.0.0', 8, 'unspecified'], ['127.0.0.0', 8, 'loopback'], ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'], ['192.168.0.0', 16, 'private'], ['100.64.0.0', 10, 'private'],
  ['169.254.0.0', 16, 'link-local'], ['192.0.0.0', 24, 'reserved'], ['192.0.2.0', 24, 'reserved'],
  ['198.18.0.0', 15, 'reserved'], ['198.51.100.0', 24, 'reserved'], ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'], ['240.0.0.0', 4, 'reserved'],
]

const uint32 = (bytes: readonly number[], at = 0): number =>
  ((bytes[at] ?? 0) * 2 ** 24) + ((bytes[at + 1] ?? 0) << 16) + ((bytes[at + 2] ?? 0) << 8) + (bytes[at + 3] ?? 0)

const classifyV4 = (ip: IpAddress): AddressCategory => {
  if (METADATA_V4.has(ip.text)) return 'metadata'
  const value = uint32(ip.bytes)
  for (const [base, bits, category] of V4_RANGES) {
    const shift = 32 - bits
    if (Math.floor(value / 2 ** shift) === Math.floor(uint32(parseIPv4(base)?.bytes ?? []) / 2 ** shift)) return category
  }
  return 'public'
}

const startsWith = (bytes: readonly number[], prefix: readonly number[], bits: number): boolean => {
  for (let i = 0; i < bits; i += 1) {
    const mask = 128 >> (i % 8)
    if (((bytes[i >> 3] ?? 0) & mask) !== ((prefix[i >> 3] ?? 0) & mask)) return false
  }
  return true
}

/** Where an IPv6 address carries an IPv4 one: [prefix bytes, prefix bits, offset of the v4, inverted]. */
const EMBEDDING: ReadonlyArray<readonly [readonly number[], number, number, boolean]> = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 12, false], // ::ffff:a.b.c.d mapped
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96, 12, false], // ::a.b.c.d compatible
  [[0, 0x64, 0xff, 0x9b], 96, 12, false], // 64:ff9b::/96 NAT64
  [[0x20, 0x02], 16, 2, false], // 2002::/16 6to4
  [[0x20, 0x01, 0, 0], 32, 12, true], // 2001::/32 Teredo (client address inverted)
]

const V6_RANGES: ReadonlyArray<readonly [readonly number[], number, AddressCategory]> = [
  [[0xfc], 7, 'private'], [[0xfe, 0xc0], 10, 'private'], [[0xfe, 0x80], 10, 'link-local'],
  [[0xff], 8, 'multicast'], [[0x01, 0, 0, 0, 0, 0, 0, 0], 64, 'reserved'], [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'],
  [[0, 0x64, 0xff, 0x9b, 0, 1], 48, 'private'],
]

const classifyV6 = (ip: IpAddress): AddressClass => {
  if (METADATA_V6.has(ip.text)) return { category: 'metadata' }
  if (ip.text === '::') return { category: 'unspecified' }
  if (ip.text === '::1') return { category: 'loopback' }
  for (const [prefix, bits, at, inverted] of EMBEDDING) {
    if (!startsWith(ip.bytes, prefix, bits)) continue
    const raw = uint32(ip.bytes, at)
    const embedded = fromUint32(inverted ? (~raw >>> 0) : raw)
    return { category: classifyV4(embedded), embedded }
  }
  for (const [prefix, bits, category] of V6_RANGES) {
    if (startsWith(ip.bytes, prefix, bits)) return { category }
  }
  return { category: 'public' }
}

/** What kind of address this is; an IPv6 form of an IPv4 address is judged by the IPv4 inside. */
export const classifyAddress = (ip: IpAddress): AddressClass =>
  ip.family === 4 ? { category: classifyV4(ip) } : classifyV6(ip)

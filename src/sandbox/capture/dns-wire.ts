/**
 * The DNS wire format, as much as the in-namespace stub needs (RFC 1035 §4): read one question,
 * answer it. Pure; the stub answers every A query with a loopback address of its own so the
 * connection that follows can be captured and handed to the egress proxy.
 */

export interface DnsQuestion {
  readonly id: number
  /** Opcode and RD bit of the query, echoed in the answer. */
  readonly flags: number
  /** As sent (case kept: it may carry data), no trailing dot; bytes outside printable ASCII written as `\ddd`. */
  readonly name: string
  readonly type: number
  readonly qclass: number
  /** The question section as received (echoed in the answer). */
  readonly question: Buffer
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY',
}

export const dnsTypeName = (type: number): string => TYPE_NAMES[type] ?? `TYPE${type}`

const printable = (byte: number): string =>
  byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c
    ? String.fromCharCode(byte)
    : `\\${String(byte).padStart(3, '0')}`

/** The first question of a standard query, or null when the message is not one we can answer. */
export const parseDnsQuery = (message: Buffer): DnsQuestion | null => {
  if (message.length < 12) return null
  const flags = message.readUInt16BE(2)
  if ((flags & 0x8000) !== 0) return null // a response, not a query
  if (message.readUInt16BE(4) < 1) return null
  const labels: string[] = []
  let offset = 12
  let length = 0
  for (;;) {
    const size = message[offset]
    if (size === undefined) return null
    offset += 1
    if (size === 0) break
    if (size > 63) return null // compression pointers do not belong in a question
    if (offset + size > message.length) return null
    length += size + 1
    if (length > 255) return null
    labels.push([...message.subarray(offset, offset + size)].map(printable).join(''))
    offset += size
  }
  if (offset + 4 > message.length) return null
  return {
    id: message.readUInt16BE(0),
    flags,
    name: labels.join('.'),
    type: message.readUInt16BE(offset),
    qclass: message.readUInt16BE(offset + 2),
    question: message.subarray(12, offset + 4),
  }
}

export type DnsRcode = 'noerror' | 'formerr' | 'servfail' | 'notimp' | 'refused'
const RCODES: Readonly<Record<DnsRcode, number>> = { noerror: 0, formerr: 1, servfail: 2, notimp: 4, refused: 5 }

/**
 * The answer to `query`: an A record for `address` when given (TTL `ttl`), else no record
 * (NODATA with `noerror`, or the given error). Authoritative, recursion available; no EDNS.
 */
export const buildDnsAnswer = (query: DnsQuestion, options: { address?: string; rcode?: DnsRcode; ttl?: number }): Buffer => {
  const octets = options.address?.split('.').map(Number)
  const answer = octets !== undefined && octets.length === 4 && octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255)
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.id, 0)
  const opcode = query.flags & 0x7800
  const rd = query.flags & 0x0100
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | rd | 0x0080 | RCODES[options.rcode ?? 'noerror'], 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(answer ? 1 : 0, 6)
  if (!answer) return Buffer.concat([header, query.question])
  const record = Buffer.alloc(16)
  record.writeUInt16BE(0xc00c, 0) // the name: a pointer to the question's
  record.writeUInt16BE(1, 2) // A
  record.writeUInt16BE(1, 4) // IN
  record.writeUInt32BE(options.ttl ?? 60, 6)
  record.writeUInt16BE(4, 10)
  octets.forEach((o, i) => record.writeUInt8(o, 12 + i))
  return Buffer.concat([header, query.question, record])
}

/**
 * Hands out one loopback address per name (127.1.0.1, 127.1.0.2, ...), so a connection to that
 * address says which name the client looked up even when it sends no Host header or SNI.
 */
export class LoopbackNames {
  readonly #byName = new Map<string, string>()
  readonly #byAddress = new Map<string, string>()

  constructor(readonly capacity = 65_000) {}

  /** The name's address, allocating one; null when the table is full. */
  addressFor(name: string): string | null {
    const known = this.#byName.get(name)
    if (known !== undefined) return known
    const index = this.#byName.size + 1
    if (index > this.capacity) return null
    const address = `127.${1 + Math.floor(index / 65_536)}.${Math.floor(index / 256) % 256}.${index % 256}`
    this.#byName.set(name, address)
    this.#byAddress.set(address, name)
    return address
  }

  nameAt(address: string): string | undefined {
    return this.#byAddress.get(address.replace(/^::ffff:/, ''))
  }
}

/**
 * The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), read from the first bytes
 * a client sends, without terminating TLS. Pure. Handshake messages split across records are
 * reassembled up to {@link MAX_HELLO_BYTES}.
 */

export const MAX_HELLO_BYTES = 64 * 1024

export type SniResult =
  | { readonly kind: 'more' }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'none'; readonly reason: string }

/** The handshake bytes carried by the leading handshake records, and whether more are needed. */
const handshakeBytes = (data: Buffer): { bytes: Buffer; complete: boolean } | { error: string } => {
  const parts: Buffer[] = []
  let offset = 0
  while (offset + 5 <= data.length) {
    if (data[offset] !== 22) return parts.length === 0 ? { error: 'not a TLS handshake' } : { bytes: Buffer.concat(parts), complete: true }
    const length = data.readUInt16BE(offset + 3)
    if (offset + 5 + length > data.length) break
    parts.push(data.subarray(offset + 5, offset + 5 + length))
    offset += 5 + length
  }
  if (parts.length === 0 && data.length >= 1 && data[0] !== 22) return { error: 'not a TLS handshake' }
  return { bytes: Buffer.concat(parts), complete: false }
}

export const readSni = (data: Buffer): SniResult => {
  const read = handshakeBytes(data)
  if ('error' in read) return { kind: 'none', reason: read.error }
  const hs = read.bytes
  if (hs.length < 4) return data.length > MAX_HELLO_BYTES ? { kind: 'none', reason: 'ClientHello too large' } : { kind: 'more' }
  if (hs[0] !== 1) return { kind: 'none', reason: 'first handshake message is not a ClientHello' }
  const bodyLength = hs.readUIntBE(1, 3)
  if (bodyLength + 4 > MAX_HELLO_BYTES) return { kind: 'none', reason: 'ClientHello too large' }
  if (hs.length < bodyLength + 4) return read.complete ? { kind: 'none', reason: 'truncated ClientHello' } : { kind: 'more' }
  const body = hs.subarray(4, 4 + bodyLength)
  let p = 2 + 32 // legacy_version, random
  const skip = (lengthBytes: number): boolean => {
    if (p + lengthBytes > body.length) return false
    const n = body.readUIntBE(p, lengthBytes)
    p += lengthBytes + n
    return p <= body.length
  }
  if (!skip(1) || !skip(2) || !skip(1)) return { kind: 'none', reason: 'malformed ClientHello' }
  if (p === body.length) return { kind: 'none', reason: 'no server name (no extensions)' }
  if (p + 2 > body.length) return { kind: 'none', reason: 'malformed ClientHello' }
  const end = p + 2 + body.readUInt16BE(p)
  if (end > body.length) return { kind: 'none', reason: 'malformed ClientHello' }
  p += 2
  while (p + 4 <= end) {
    const type = body.readUInt16BE(p)
    const size = body.readUInt16BE(p + 2)
    const ext = body.subarray(p + 4, p + 4 + size)
    p += 4 + size
    if (type !== 0) continue
    let q = 2
    while (q + 3 <= ext.length) {
      const nameType = ext[q]
      const nameLength = ext.readUInt16BE(q + 1)
      const name = ext.subarray(q + 3, q + 3 + nameLength)
      q += 3 + nameLength
      if (nameType === 0 && name.length === nameLength) {
        const text = name.toString('latin1').toLowerCase()
        return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/.test(text) && text.length <= 253
          ? { kind: 'name', name: text.replace(/\.$/, '') }
          : { kind: 'none', reason: 'server name is not a host name' }
      }
    }
    return { kind: 'none', reason: 'malformed server_name extension' }
  }
  return { kind: 'none', reason: 'no server name' }
}

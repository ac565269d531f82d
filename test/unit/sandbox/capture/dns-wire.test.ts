import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { describe, expect, it } from 'vitest'
import { buildDnsAnswer, dnsTypeName, LoopbackNames, parseDnsQuery } from '../../../../src/sandbox/capture/dns-wire.js'

/** A standard query as resolvers send it: header, one question, optionally an EDNS OPT record. */
const query = (labels: (string | Buffer)[], type = 1, options: { id?: number; flags?: number; edns?: boolean } = {}): Buffer => {
  const header = Buffer.alloc(12)
  header.writeUInt16BE(options.id ?? 0x1234, 0)
  header.writeUInt16BE(options.flags ?? 0x0100, 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(options.edns === true ? 1 : 0, 10)
  const name = Buffer.concat([...labels.map((l) => {
    const bytes = typeof l === 'string' ? Buffer.from(l, 'latin1') : l
    return Buffer.concat([Buffer.from([bytes.length]), bytes])
  }), Buffer.from([0])])
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(type, 0)
  tail.writeUInt16BE(1, 2)
  const opt = options.edns === true ? Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0)
  return Buffer.concat([header, name, tail, opt])
}

describe('parseDnsQuery', () => {
  it('reads id, name (case kept), type and class', () => {
    const q = parseDnsQuery(query(['Registry', 'Example', 'test'], 28, { edns: true }))
    expect(q).toMatchObject({ id: 0x1234, name: 'Registry.Example.test', type: 28, qclass: 1 })
    expect(dnsTypeName(q?.type ?? 0)).toBe('AAAA')
    expect(dnsTypeName(99)).toBe('TYPE99')
  })
  it('escapes bytes that are not printable, and dots or backslashes inside a label', () => {
    expect(parseDnsQuery(query([Buffer.from([0x41, 0x00, 0x2e, 0x5c, 0xff]), 'x']))?.name).toBe('A\\000\\046\\092\\255.x')
  })
  it('refuses responses, compression pointers, overlong names and truncated messages', () => {
    expect(parseDnsQuery(query(['a'], 1, { flags: 0x8100 }))).toBeNull()
    const pointer = query(['a'])
    pointer[12] = 0xc0
    expect(parseDnsQuery(pointer)).toBeNull()
    expect(parseDnsQuery(query(Array.from({ length: 5 }, () => 'x'.repeat(60))))).toBeNull()
    expect(parseDnsQuery(query(['abc']).subarray(0, 16))).toBeNull()
    expect(parseDnsQuery(Buffer.alloc(5))).toBeNull()
  })
})

describe('buildDnsAnswer', () => {
  const q = parseDnsQuery(query(['cdn', 'test'], 1, { id: 77 }))
  if (q === null) throw new Error('fixture query did not parse')
  it('answers an A query with one record pointing at the question', () => {
    const answer = buildDnsAnswer(q, { address: '127.1.0.1' })
    expect(answer.readUInt16BE(0)).toBe(77)
    expect(answer.readUInt16BE(2) & 0x8000).toBe(0x8000)
    expect(answer.readUInt16BE(2) & 0x000f).toBe(0)
    expect(answer.readUInt16BE(6)).toBe(1)
    expect([...answer.subarray(-4)]).toEqual([127, 1, 0, 1])
  })
  it('answers without a record (NODATA) or with an error code', () => {
    expect(buildDnsAnswer(q, {}).readUInt16BE(6)).toBe(0)
    expect(buildDnsAnswer(q, { rcode: 'refused' }).readUInt16BE(2) & 0x000f).toBe(5)
  })
  it('is understood by a real resolver (c-ares) over UDP on loopback', async () => {
    const names = new LoopbackNames()
    const server = createSocket('udp4')
    server.on('message', (message, peer) => {
      const parsed = parseDnsQuery(message)
      if (parsed === null) return
      const address = parsed.type === 1 ? names.addressFor(parsed.name.toLowerCase()) : null
      server.send(buildDnsAnswer(parsed, address === null ? {} : { address }), peer.port, peer.address)
    })
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve))
    try {
      const resolver = new Resolver({ timeout: 2000, tries: 1 })
      resolver.setServers([`127.0.0.1:${server.address().port}`])
      expect(await resolver.resolve4('one.test')).toEqual(['127.1.0.1'])
      expect(await resolver.resolve4('TWO.test')).toEqual(['127.1.0.2'])
      expect(await resolver.resolve4('one.test')).toEqual(['127.1.0.1'])
      await expect(resolver.resolve6('one.test')).rejects.toMatchObject({ code: 'ENODATA' })
    } finally {
      server.close()
    }
  })
})

describe('LoopbackNames', () => {
  it('gives each name its own loopback address and maps it back', () => {
    const names = new LoopbackNames()
    expect(names.addressFor('a.test')).toBe('127.1.0.1')
    expect(names.addressFor('b.test')).toBe('127.1.0.2')
    expect(names.addressFor('a.test')).toBe('127.1.0.1')
    expect(names.nameAt('127.1.0.2')).toBe('b.test')
    expect(names.nameAt('::ffff:127.1.0.1')).toBe('a.test')
    expect(names.nameAt('127.0.0.1')).toBeUndefined()
  })
  it('spans octets and stops at its capacity', () => {
    const names = new LoopbackNames(300)
    for (let i = 0; i < 299; i += 1) names.addressFor(`n${i}.test`)
    expect(names.addressFor('last.test')).toBe('127.1.1.44')
    expect(names.addressFor('over.test')).toBeNull()
  })
})

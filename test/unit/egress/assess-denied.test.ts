import { afterEach, describe, expect, it } from 'vitest'
import { deniedAddress, deniedBy } from '../../../src/egress/denied-hosts.js'
import { cleanup, openConnect, startEcho, startProxy } from './proxy-helpers.js'

afterEach(cleanup)

describe('denied hosts (indicators of compromise)', () => {
  const denied = new Map([['exfil.example.test', 'MAL-2025-1'], ['127.0.0.1', 'MAL-2025-2']])
  it('cover the host, its subdomains and an address, not look-alikes', () => {
    expect(deniedBy(denied, 'exfil.example.test')).toBe('MAL-2025-1')
    expect(deniedBy(denied, 'A.B.Exfil.Example.Test.')).toBe('MAL-2025-1')
    expect(deniedBy(denied, '127.0.0.1')).toBe('MAL-2025-2')
    expect(deniedBy(denied, 'notexfil.example.test')).toBeUndefined()
    expect(deniedBy(denied, 'example.test')).toBeUndefined()
    expect(deniedBy(undefined, 'exfil.example.test')).toBeUndefined()
  })
  it('are refused by the proxy even when granted, naming the record', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'], denied })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    expect(tunnel.status).toBe(403)
    await h.proxy.close()
    expect(h.events).toEqual([expect.objectContaining({ decision: 'blocked', host: '127.0.0.1' })])
    expect(h.findings).toEqual([expect.objectContaining({ rule: 'egress-blocked', message: expect.stringContaining('MAL-2025-2') })])
  })

  it('cover addresses inside a CIDR block, in every form the resolver reads, and nothing outside it', () => {
    const blocks = new Map([['203.0.113.0/24', 'MAL-2025-3'], ['2001:db8:aa::/48', 'MAL-2025-4'], ['198.51.100.7', 'MAL-2025-5']])
    expect(deniedBy(blocks, '203.0.113.77')).toBe('MAL-2025-3')
    expect(deniedBy(blocks, '0xcb.0.113.1')).toBe('MAL-2025-3')
    expect(deniedBy(blocks, '[::ffff:203.0.113.5]')).toBe('MAL-2025-3')
    expect(deniedBy(blocks, '203.0.114.1')).toBeUndefined()
    expect(deniedBy(blocks, '2001:db8:aa:ffff::1')).toBe('MAL-2025-4')
    expect(deniedBy(blocks, '2001:db8:ab::1')).toBeUndefined()
    expect(deniedAddress(blocks, '198.51.100.7')).toBe('MAL-2025-5')
    expect(deniedAddress(blocks, '198.51.100.8')).toBeUndefined()
    expect(deniedAddress(new Map([['10.0.0.0/7', 'odd']]), '11.255.0.1')).toBe('odd')
    expect(deniedAddress(new Map([['10.0.0.0/7', 'odd']]), '12.0.0.1')).toBeUndefined()
    expect(deniedAddress(blocks, 'not-an-address')).toBeUndefined()
  })
  it('refuse a granted name that resolves into a denied block', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['ioc.example.test'], denied: new Map([['127.0.0.0/8', 'MAL-2025-6']]), resolve: async () => ['127.0.0.1'] })
    const tunnel = await openConnect(h.address, `ioc.example.test:${echo.port}`)
    expect(tunnel.status).toBe(403)
    await h.proxy.close()
    expect(h.findings).toEqual([expect.objectContaining({ rule: 'egress-blocked', message: expect.stringContaining('MAL-2025-6') })])
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { deniedBy } from '../../../src/egress/assess.js'
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
})

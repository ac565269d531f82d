import { existsSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { startEgressProxy } from '../../../src/egress/proxy.js'
import { ATTRIBUTION, SECRETS, cleanup, closed, openConnect, proxyRequest, roundTrip, startEcho, startOrigin, startProxy } from './proxy-helpers.js'

afterEach(cleanup)

const HANDLES = new Set(['TCPSocketWrap', 'TCPServerWrap', 'PipeWrap', 'PipeServerWrap', 'GetAddrInfoReqWrap', 'TCPConnectWrap', 'PipeConnectWrap'])
const openHandles = (): string[] => process.getActiveResourcesInfo().filter((r) => HANDLES.has(r)).sort()

describe('egress proxy: lifecycle', () => {
  it('refuses to start on an invalid grant (fail closed)', async () => {
    await expect(startEgressProxy({
      listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'a:b' }, attribution: ATTRIBUTION, secrets: SECRETS,
      grants: ['ok.example.test', '*', 'bad host'], onEvent: () => undefined, onFinding: () => undefined,
    })).rejects.toMatchObject({
      name: 'SafeInstallError', code: 'EPOLICY',
      message: 'network grant "*" would grant every host; list the hosts instead; network grant "bad host" is not a host name or IP address (for evil-pkg)',
    })
  })

  it('close() ends open tunnels and in-flight requests, reports them, and leaves no open handles', async () => {
    const before = openHandles()
    const echo = await startEcho()
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const tunnels = await Promise.all(Array.from({ length: 20 }, () => openConnect(h.address, `127.0.0.1:${echo.port}`)))
    await Promise.all(tunnels.map((t) => roundTrip(t.socket, 'hi')))
    expect((await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/` })).status).toBe(200)
    expect(openHandles().length).toBeGreaterThan(before.length + 40)
    await h.proxy.close()
    await h.proxy.close()
    await Promise.all(tunnels.map((t) => closed(t.socket)))
    expect(h.events).toHaveLength(21)
    expect(h.events.filter((e) => e.method === 'CONNECT').every((e) => e.bytesOut === 2 && e.bytesIn === 2)).toBe(true)
    expect(h.address.kind === 'unix' && existsSync(h.address.path)).toBe(false)
    await cleanup()
    await new Promise((r) => setTimeout(r, 20)) // libuv runs close callbacks after the check phase
    expect(openHandles()).toEqual(before)
  })

  it('keeps serving when an event callback throws, and close() reports it', async () => {
    const origin = await startOrigin()
    let calls = 0
    const h = await startProxy({
      grants: ['127.0.0.1'],
      onEvent: () => {
        calls += 1
        throw new Error('callback bug')
      },
    })
    expect((await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/1` })).status).toBe(200)
    expect((await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/2` })).status).toBe(200)
    await expect(h.proxy.close()).rejects.toMatchObject({ message: 'egress proxy: a handler or callback failed', cause: { message: 'callback bug' } })
    expect(calls).toBe(2)
  })
})

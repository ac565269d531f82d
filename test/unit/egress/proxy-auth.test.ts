import { fetch, ProxyAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { PKG, cleanup, openConnect, proxyRequest, startEcho, startOrigin, startProxy } from './proxy-helpers.js'

afterEach(cleanup)

const CREDENTIALS = 'hook-7:fake-random-per-hook'
const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`
const tcp = { kind: 'tcp', host: '127.0.0.1', credentials: CREDENTIALS } as const

describe('egress proxy: TCP listener attribution by Proxy-Authorization', () => {
  it.each([
    ['no credentials', {}],
    ['wrong credentials', { 'proxy-authorization': basic('hook-7:guess') }],
    ['another scheme', { 'proxy-authorization': `Bearer ${CREDENTIALS}` }],
    ['garbage', { 'proxy-authorization': 'Basic !!!' }],
  ])('answers 407 to %s, with no event (the request is nobody we know)', async (_label, headers: Record<string, string>) => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: tcp })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/`, headers })
    await h.proxy.close()
    expect(res.status).toBe(407)
    expect(res.headers['proxy-authenticate']).toBe('Basic realm="safe-install"')
    expect(res.body).toBe('safe-install: proxy credentials missing or wrong\n')
    expect(origin.requests).toEqual([])
    expect(h.events).toEqual([])
    expect(h.findings).toEqual([])
  })

  it('forwards with the right credentials and never passes them on', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: tcp })
    expect(h.address).toEqual({ kind: 'tcp', host: '127.0.0.1', port: expect.any(Number) as number })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/ok`, headers: { 'proxy-authorization': basic(CREDENTIALS) } })
    await h.proxy.close()
    expect(res.status).toBe(200)
    expect(origin.requests[0]?.headers['proxy-authorization']).toBeUndefined()
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'GET', path: '/ok', bytesOut: 0, bytesIn: 'hello GET /ok'.length, decision: 'allowed',
    }])
  })

  it('answers 407 to CONNECT without credentials and 200 with them', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: tcp })
    const without = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    const wrong = await openConnect(h.address, `127.0.0.1:${echo.port}`, `Proxy-Authorization: ${basic('x:y')}\r\n`)
    const right = await openConnect(h.address, `127.0.0.1:${echo.port}`, `Proxy-Authorization: ${basic(CREDENTIALS)}\r\n`)
    right.socket.end()
    await h.proxy.close()
    expect([without.status, wrong.status, right.status]).toEqual([407, 407, 200])
    expect(without.answer).toContain('Proxy-Authenticate: Basic realm="safe-install"\r\n')
    expect(h.events).toHaveLength(1)
  })

  it('works with a real client: undici ProxyAgent with the credentials in its proxy URL', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: tcp })
    if (h.address.kind !== 'tcp') throw new Error('expected tcp')
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${h.address.port}`, token: basic(CREDENTIALS) })
    const res = await fetch(`http://127.0.0.1:${origin.port}/via-undici`, { dispatcher: agent })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hello GET /via-undici')
    await agent.close()
    await h.proxy.close()
    expect(h.events).toHaveLength(1)
    expect(h.events[0]).toMatchObject({ host: '127.0.0.1', port: origin.port, decision: 'allowed' })
  })
})

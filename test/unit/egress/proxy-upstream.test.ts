import { afterEach, describe, expect, it } from 'vitest'
import { startEgressProxy } from '../../../src/egress/proxy.js'
import { PKG, SECRETS, cleanup, openConnect, proxyRequest, roundTrip, startEcho, startOrigin, startProxy, ATTRIBUTION } from './proxy-helpers.js'

afterEach(cleanup)

/** The user's own proxy, on loopback: another egress proxy instance that wants `up@user:p:ss`. */
const startUpstream = async () => {
  const up = await startProxy({ grants: ['127.0.0.1'], listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'up@user:p:ss' } })
  if (up.address.kind !== 'tcp') throw new Error('expected tcp')
  return { ...up, port: up.address.port, url: `http://up%40user:p%3Ass@127.0.0.1:${up.address.port}` }
}

describe('egress proxy: chaining through the user\'s proxy', () => {
  it('sends allowed plain HTTP to the upstream proxy, with its credentials, and not ours', async () => {
    const origin = await startOrigin()
    const up = await startUpstream()
    const h = await startProxy({ grants: ['127.0.0.1'], upstream: { url: up.url } })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/chained`, method: 'POST', body: 'abc' })
    await h.proxy.close()
    await up.proxy.close()
    expect(res).toMatchObject({ status: 200, body: 'hello POST /chained' })
    expect(origin.requests[0]?.headers['proxy-authorization']).toBeUndefined()
    const event = {
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'POST', path: '/chained', bytesOut: 3, bytesIn: 'hello POST /chained'.length, decision: 'allowed',
    }
    expect(h.events).toEqual([event])
    expect(up.events).toEqual([event])
  })

  it('opens allowed CONNECT tunnels through the upstream proxy', async () => {
    const echo = await startEcho()
    const up = await startUpstream()
    const h = await startProxy({ grants: ['127.0.0.1'], upstream: { url: up.url } })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    expect(tunnel.status).toBe(200)
    expect(await roundTrip(tunnel.socket, 'through two proxies')).toBe('through two proxies')
    tunnel.socket.end()
    await h.proxy.close()
    await up.proxy.close()
    const event = { package: PKG, event: 'postinstall', protocol: 'tcp', host: '127.0.0.1', port: echo.port, method: 'CONNECT', bytesOut: 19, bytesIn: 19, decision: 'allowed' }
    expect(h.events).toEqual([event])
    expect(up.events).toEqual([event])
  })

  it('still decides first: a denied host never reaches the upstream proxy', async () => {
    const up = await startUpstream()
    const h = await startProxy({ grants: [], upstream: { url: up.url } })
    expect((await openConnect(h.address, '10.0.0.1:443')).status).toBe(403)
    expect((await proxyRequest(h.address, { url: 'http://169.254.169.254/' })).status).toBe(403)
    await h.proxy.close()
    await up.proxy.close()
    expect(up.events).toEqual([])
    expect(h.findings.map((f) => f.rule)).toEqual(['egress-blocked', 'metadata-endpoint'])
  })

  it('answers 502 with the reason when the upstream proxy refuses', async () => {
    const echo = await startEcho()
    const origin = await startOrigin()
    const up = await startUpstream()
    const h = await startProxy({ grants: ['127.0.0.1'], upstream: { url: `http://up%40user:wrong@127.0.0.1:${up.port}` } })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/` })
    await h.proxy.close()
    expect(tunnel.status).toBe(502)
    expect(tunnel.answer).toContain(`safe-install: upstream proxy http://127.0.0.1:${up.port} answered 407 to CONNECT 127.0.0.1:${echo.port}\n`)
    expect(res).toMatchObject({ status: 502, body: `safe-install: upstream proxy http://127.0.0.1:${up.port} answered 407 (check the credentials in its URL)\n` })
    expect(JSON.stringify([tunnel.answer, res.body])).not.toContain('wrong')
    expect(h.events.map((e) => e.decision)).toEqual(['allowed', 'allowed'])
    expect(origin.requests).toEqual([])
  })

  it('refuses to start with an upstream it cannot chain to, without echoing its credentials', async () => {
    const start = (url: string) => startEgressProxy({
      listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'a:b' }, attribution: ATTRIBUTION, grants: [], secrets: SECRETS,
      upstream: { url }, onEvent: () => undefined, onFinding: () => undefined,
    })
    await expect(start('https://user:pw-fake@127.0.0.1:3128')).rejects.toMatchObject({
      code: 'ECONFIG', message: 'the upstream proxy https://127.0.0.1:3128 uses https:; only http:// proxies can be chained',
    })
    await expect(start('not a url')).rejects.toMatchObject({ code: 'ECONFIG', message: 'the upstream proxy URL is not a valid URL' })
  })
})

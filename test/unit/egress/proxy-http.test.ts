import { afterEach, describe, expect, it } from 'vitest'
import { ATTRIBUTION, PKG, cleanup, postInChunks, proxyRequest, rawExchange, startOrigin, startProxy, dialProxy, roundTrip } from './proxy-helpers.js'

afterEach(cleanup)

const fix = (grant: string): string => `grant it in safe-install.policy.json: "packages": { "evil-pkg": { "network": ["${grant}"] } }`

describe('egress proxy: plain HTTP', () => {
  it('forwards an allowed GET through the unix socket to a loopback origin granted by its exact address', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/hello?x=1`, headers: { 'Proxy-Connection': 'keep-alive' } })
    await h.proxy.close()
    expect(res.status).toBe(200)
    expect(res.body).toBe('hello GET /hello?x=1')
    expect(origin.requests).toHaveLength(1)
    // Host is the URI's authority (no fronting), hop-by-hop headers are gone.
    expect(origin.requests[0]?.headers['host']).toBe(`127.0.0.1:${origin.port}`)
    expect(origin.requests[0]?.headers['proxy-connection']).toBeUndefined()
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'GET', path: '/hello?x=1', bytesOut: 0, bytesIn: 'hello GET /hello?x=1'.length, decision: 'allowed',
    }])
    expect(h.findings).toEqual([])
  })

  it('denies loopback when it is not granted: 403 with a one-line reason, an event and a finding', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: [] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/x` })
    await h.proxy.close()
    const reason = 'loopback address 127.0.0.1 is not reachable unless granted by that exact address'
    expect(res.status).toBe(403)
    expect(res.body).toBe(`safe-install: ${reason}\n`)
    expect(origin.requests).toEqual([])
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'GET', path: '/x', bytesOut: 0, bytesIn: 0, decision: 'blocked',
    }])
    expect(h.findings).toEqual([{
      rule: 'egress-blocked', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
      message: `postinstall of evil-pkg@1.0.0 was refused a connection to 127.0.0.1:${origin.port}: ${reason}.`,
      evidence: { host: '127.0.0.1', port: origin.port, protocol: 'http', method: 'GET', path: '/x', reason, category: 'loopback', fix: fix(`127.0.0.1:${origin.port}`) },
    }])
  })

  it('denies a host that is not granted, with the grant to add', async () => {
    const h = await startProxy({ grants: ['*.example.test'] })
    const res = await proxyRequest(h.address, { url: 'http://collector.example.invalid/up', method: 'POST', body: 'data' })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(res.body).toBe("safe-install: host collector.example.invalid is not in this package's network grants\n")
    expect(h.findings).toEqual([{
      rule: 'egress-blocked', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
      message: "postinstall of evil-pkg@1.0.0 was refused a connection to collector.example.invalid:80: host collector.example.invalid is not in this package's network grants.",
      evidence: {
        host: 'collector.example.invalid', port: 80, protocol: 'http', method: 'POST', path: '/up',
        reason: "host collector.example.invalid is not in this package's network grants", category: 'not-granted', fix: fix('collector.example.invalid'),
      },
    }])
    expect(h.events.map((e) => e.decision)).toEqual(['blocked'])
  })

  it.each([
    ['http://2130706433:PORT/', '127.0.0.1'], ['http://0x7f.1:PORT/', '127.0.0.1'], ['http://127.1:PORT/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]:PORT/', '::ffff:7f00:1'], ['http://[::1]:PORT/', '::1'], ['http://localhost.:PORT/', 'localhost'],
  ])('denies the loopback form %s without any traffic', async (url, host) => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['*.example.test'] })
    const res = await proxyRequest(h.address, { url: url.replace('PORT', String(origin.port)) })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.events[0]).toMatchObject({ host, decision: 'blocked' })
  })

  it('never reaches a metadata endpoint, even with a *.internal grant', async () => {
    const h = await startProxy({ grants: ['*.internal'] })
    const a = await proxyRequest(h.address, { url: 'http://169.254.169.254/latest/meta-data/iam/' })
    const b = await proxyRequest(h.address, { url: 'http://metadata.google.internal/computeMetadata/v1/' })
    const c = await proxyRequest(h.address, { url: 'http://[::ffff:a9fe:a9fe]/' })
    await h.proxy.close()
    expect([a.status, b.status, c.status]).toEqual([403, 403, 403])
    expect(a.body).toBe('safe-install: metadata endpoint 169.254.169.254 is never reachable from install scripts\n')
    expect(h.findings.map((f) => f.rule)).toEqual(['metadata-endpoint', 'metadata-endpoint', 'metadata-endpoint'])
    expect(h.findings[0]).toEqual({
      rule: 'metadata-endpoint', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
      message: 'postinstall of evil-pkg@1.0.0 tried to reach the cloud metadata endpoint 169.254.169.254:80, where instance credentials live; the connection was refused.',
      evidence: {
        host: '169.254.169.254', port: 80, protocol: 'http', method: 'GET', path: '/latest/meta-data/iam/',
        reason: 'metadata endpoint 169.254.169.254 is never reachable from install scripts',
      },
    })
  })

  it('counts body bytes both ways', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/big`, method: 'POST', body: 'y'.repeat(1000) })
    await h.proxy.close()
    expect(res.body).toHaveLength(2345)
    expect(origin.requests[0]?.body.length).toBe(1000)
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'POST', path: '/big', bytesOut: 1000, bytesIn: 2345, decision: 'allowed',
    }])
  })

  it('resolves names itself: an exact name may reach loopback, a wildcard name may not (DNS rebinding)', async () => {
    const origin = await startOrigin()
    const resolve = (host: string): Promise<string[]> =>
      host.endsWith('.example.test') ? Promise.resolve(['127.0.0.1']) : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }))
    const exact = await startProxy({ grants: ['mirror.example.test'], resolve })
    const ok = await proxyRequest(exact.address, { url: `http://mirror.example.test:${origin.port}/pkg` })
    const missing = await proxyRequest(exact.address, { url: 'http://mirror.example.test.invalid/' })
    await exact.proxy.close()
    expect(ok.status).toBe(200)
    expect(origin.requests[0]?.headers['host']).toBe(`mirror.example.test:${origin.port}`)
    expect(missing.status).toBe(403)

    const wild = await startProxy({ grants: ['*.example.test'], resolve })
    const rebound = await proxyRequest(wild.address, { url: `http://rebind.example.test:${origin.port}/` })
    await wild.proxy.close()
    const reason = 'rebind.example.test resolves to loopback address 127.0.0.1, which the wildcard grant *.example.test never reaches'
    expect(rebound).toMatchObject({ status: 403, body: `safe-install: ${reason}\n` })
    expect(wild.findings).toMatchObject([{ rule: 'egress-blocked', evidence: { reason } }])
    expect(wild.events).toMatchObject([{ host: 'rebind.example.test', decision: 'blocked' }])
    expect(origin.requests).toHaveLength(1)
  })

  it('answers 502 (and an allowed event) when a granted host cannot be resolved or reached', async () => {
    const h = await startProxy({
      grants: ['gone.example.test', '127.0.0.1'],
      resolve: () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })),
    })
    const unresolved = await proxyRequest(h.address, { url: 'http://gone.example.test/' })
    const refused = await proxyRequest(h.address, { url: 'http://127.0.0.1:1/' })
    await h.proxy.close()
    expect(unresolved).toMatchObject({ status: 502, body: 'safe-install: cannot resolve gone.example.test (ENOTFOUND)\n' })
    expect(refused).toMatchObject({ status: 502, body: 'safe-install: cannot reach 127.0.0.1:1 (ECONNREFUSED)\n' })
    expect(h.events.map((e) => e.decision)).toEqual(['allowed', 'allowed'])
    expect(h.findings).toEqual([])
  })

  it('answers 502 when the origin drops the connection mid-upload, after reading the rest of the body', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const chunks = Array.from({ length: 50 }, () => Buffer.alloc(4096, 'u'))
    const res = await postInChunks(h.address, `http://127.0.0.1:${origin.port}/drop`, chunks)
    await h.proxy.close()
    expect(res).toEqual({ status: 502, body: `safe-install: cannot reach 127.0.0.1:${origin.port} (ECONNRESET)\n` })
    expect(h.events).toMatchObject([{ path: '/drop', decision: 'allowed', bytesIn: 0 }])
    expect(h.findings).toEqual([])
  })

  it('answers 400 to malformed and non-proxy requests, and keeps serving', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    expect(await rawExchange(h.address, 'THIS IS NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nsafe-install: malformed request\n$/)
    expect(await rawExchange(h.address, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n')).toContain('safe-install: not a proxy request: an absolute http:// URI or CONNECT is expected\n')
    expect(await rawExchange(h.address, 'GET https://127.0.0.1/ HTTP/1.1\r\nHost: a\r\n\r\n')).toContain('safe-install: https:// must go through CONNECT\n')
    expect(await rawExchange(h.address, 'CONNECT nothing HTTP/1.1\r\nHost: a\r\n\r\n')).toContain('safe-install: malformed CONNECT target "nothing" (host:port expected)\n')
    expect((await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/after` })).status).toBe(200)
    await h.proxy.close()
    expect(h.events).toHaveLength(1)
  })

  it('survives a client that resets mid-body (ECONNRESET)', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'hook:s3cret-fake' } })
    const auth = `Proxy-Authorization: Basic ${Buffer.from('hook:s3cret-fake').toString('base64')}\r\n`
    const socket = dialProxy(h.address)
    socket.on('error', () => undefined)
    socket.write(`POST http://127.0.0.1:${origin.port}/slow HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100000\r\n\r\n${'z'.repeat(5000)}`)
    await origin.settled(0)
    await new Promise((r) => setTimeout(r, 50))
    socket.resetAndDestroy()
    await origin.settled(1)
    const next = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/next`, headers: { 'proxy-authorization': `Basic ${Buffer.from('hook:s3cret-fake').toString('base64')}` } })
    expect(next.status).toBe(200)
    await h.proxy.close()
    expect(origin.requests[0]?.aborted).toBe(true)
    expect(h.events).toEqual([
      expect.objectContaining({ path: '/slow', decision: 'allowed', bytesIn: 0 }),
      expect.objectContaining({ path: '/next', decision: 'allowed' }),
    ])
    expect(h.events[0]?.bytesOut).toBeLessThanOrEqual(5000)
  })

  it('relays a WebSocket-style upgrade to a granted host and counts the bytes after the head', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const socket = dialProxy(h.address)
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n'
    socket.write(`GET http://127.0.0.1:${origin.port}/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`)
    expect(await roundTrip(socket, 'ping', head.length + 4)).toBe(`${head}ping`)
    socket.end()
    await h.proxy.close()
    expect(origin.requests[0]).toMatchObject({ method: 'GET', url: '/ws', headers: { host: `127.0.0.1:${origin.port}`, upgrade: 'echo' } })
    expect(h.events).toEqual([{
      ...{ package: ATTRIBUTION.package, event: 'postinstall' }, protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'GET', path: '/ws', bytesOut: 4, bytesIn: head.length + 4, decision: 'allowed',
    }])
  })
})

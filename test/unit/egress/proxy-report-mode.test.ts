import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { PKG, TOKEN, cleanup, openConnect, proxyRequest, roundTrip, startEcho, startOrigin, startProxy } from './proxy-helpers.js'

const upstreams: Server[] = []
afterEach(async () => {
  for (const server of upstreams.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
  await cleanup()
})

/**
 * "The internet" of a learning run: the user's own proxy on loopback, which answers every
 * absolute-URI request itself and tunnels every CONNECT to the echo server. Names are resolved
 * there, not by the egress proxy.
 */
const startInternet = async (echoPort = 0): Promise<{ url: string; saw: string[] }> => {
  const saw: string[] = []
  const server = createServer((req, res) => {
    saw.push(`${req.method ?? ''} ${req.url ?? ''}`)
    res.end(`internet ${req.url ?? ''}`)
  })
  server.on('connect', (req, socket, head) => {
    saw.push(`CONNECT ${req.url ?? ''}`)
    const echo = connect(echoPort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      echo.write(head)
      echo.pipe(socket).pipe(echo)
    })
    echo.on('error', () => socket.destroy())
    socket.on('error', () => echo.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  upstreams.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, saw }
}

/** A name that resolves to the loopback origin: what report mode must not let an ungranted name reach. */
const toLoopback = async (): Promise<readonly string[]> => ['127.0.0.1']

describe('egress proxy in report mode (--mode report): allowed but logged', () => {
  it('lets a host that is only missing a grant through, and records it as egress-unexpected with the grant to add', async () => {
    const internet = await startInternet()
    const h = await startProxy({ mode: 'report', upstream: { url: internet.url } })
    const res = await proxyRequest(h.address, { url: 'http://cdn.example.test:8080/asset.bin' })
    await h.proxy.close()
    expect(res).toMatchObject({ status: 200, body: 'internet http://cdn.example.test:8080/asset.bin' })
    expect(h.events).toEqual([expect.objectContaining({ host: 'cdn.example.test', port: 8080, decision: 'allowed' })])
    const reason = "host cdn.example.test is not in this package's network grants"
    expect(h.findings).toEqual([{
      rule: 'egress-unexpected', severity: 'error', action: 'reported', package: PKG, event: 'postinstall',
      message: `postinstall of evil-pkg@1.0.0 reached cdn.example.test:8080, which enforce mode would refuse (${reason}); report mode let it through.`,
      evidence: {
        host: 'cdn.example.test', port: 8080, protocol: 'http', method: 'GET', path: '/asset.bin', reason,
        fix: 'if the package needs it, grant it in safe-install.policy.json: "packages": { "evil-pkg": { "network": ["cdn.example.test:8080"] } }',
      },
    }])
  })

  it('opens a CONNECT tunnel to a host granted on another port only, and records it', async () => {
    const echo = await startEcho()
    const internet = await startInternet(echo.port)
    const h = await startProxy({ mode: 'report', grants: ['cdn.example.test:443'], upstream: { url: internet.url } })
    const tunnel = await openConnect(h.address, 'cdn.example.test:8443')
    expect(tunnel.status).toBe(200)
    expect(await roundTrip(tunnel.socket, 'learn me')).toBe('learn me')
    tunnel.socket.end()
    await h.proxy.close()
    expect(internet.saw).toEqual(['CONNECT cdn.example.test:8443'])
    expect(h.findings).toEqual([expect.objectContaining({
      rule: 'egress-unexpected', evidence: expect.objectContaining({ host: 'cdn.example.test', port: 8443, reason: 'host cdn.example.test is granted only on port 443, not 8443' }),
    })])
  })

  it('grants nothing by itself: the same request in enforce mode (the default) is refused', async () => {
    const internet = await startInternet()
    const h = await startProxy({ upstream: { url: internet.url } })
    const res = await proxyRequest(h.address, { url: 'http://cdn.example.test:8080/asset.bin' })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(internet.saw).toEqual([])
    expect(h.findings).toEqual([expect.objectContaining({ rule: 'egress-blocked', evidence: expect.objectContaining({ category: 'not-granted' }) })])
  })

  it('never lets an ungranted name reach a loopback or private address it resolves to (as under a wildcard)', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ mode: 'report', resolve: toLoopback })
    const res = await proxyRequest(h.address, { url: `http://rebind.example.test:${origin.port}/x` })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.findings).toEqual([expect.objectContaining({
      rule: 'egress-blocked',
      evidence: expect.objectContaining({ category: 'loopback', reason: 'rebind.example.test resolves to loopback address 127.0.0.1, which an ungranted name never reaches in report mode' }),
    })])
  })

  it.each([
    ['a loopback address', (port: number) => `http://127.0.0.1:${port}/x`, 'egress-blocked', 'loopback'],
    ['a private address', () => 'http://10.1.2.3/x', 'egress-blocked', 'private'],
    ['a loopback name', (port: number) => `http://localhost:${port}/x`, 'egress-blocked', 'loopback'],
    ['the metadata endpoint', () => 'http://169.254.169.254/latest/meta-data/', 'metadata-endpoint', undefined],
  ] as const)('still refuses %s', async (_label, url, rule, category) => {
    const origin = await startOrigin()
    const h = await startProxy({ mode: 'report', resolve: toLoopback })
    const res = await proxyRequest(h.address, { url: url(origin.port) })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.findings).toEqual([expect.objectContaining({ rule, ...(category === undefined ? {} : { evidence: expect.objectContaining({ category }) }) })])
  })

  it('does not stretch an address granted on one port to another port of a loopback address', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ mode: 'report', grants: ['127.0.0.1:9'] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/x` })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.findings.map((f) => f.rule)).toEqual(['egress-blocked'])
  })

  it('still refuses an indicator of compromise, with no grant suggested', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ mode: 'report', resolve: toLoopback, denied: new Map([['exfil.example.test', 'MAL-2025-9']]) })
    const res = await proxyRequest(h.address, { url: `http://a.exfil.example.test:${origin.port}/x` })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.findings).toHaveLength(1)
    expect(h.findings[0]).toMatchObject({ rule: 'egress-blocked', evidence: { category: 'indicator' } })
    expect(h.findings[0]?.evidence).not.toHaveProperty('fix')
  })

  it('still refuses a name that resolves to the metadata endpoint, and records no egress-unexpected', async () => {
    const h = await startProxy({ mode: 'report', resolve: async () => ['169.254.169.254'] })
    const res = await proxyRequest(h.address, { url: 'http://rebind.example.test/x' })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(h.findings.map((f) => f.rule)).toEqual(['metadata-endpoint'])
  })

  it('still refuses a request carrying a secret, and records no egress-unexpected', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ mode: 'report', resolve: toLoopback })
    const res = await proxyRequest(h.address, { url: `http://cdn.example.test:${origin.port}/?t=${TOKEN}` })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(origin.requests).toEqual([])
    expect(h.findings.map((f) => f.rule)).toEqual(['secret-exfiltration'])
  })
})

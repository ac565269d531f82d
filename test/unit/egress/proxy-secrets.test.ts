import { afterEach, describe, expect, it } from 'vitest'
import { compileNeedles, scanForSecrets } from '../../../src/egress/secret-scan.js'
import { PKG, SECRETS, TOKEN, cleanup, postInChunks, proxyRequest, startOrigin, startProxy } from './proxy-helpers.js'

afterEach(cleanup)

const finding = (port: number, method: string, path: string, where: string) => ({
  rule: 'secret-exfiltration', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
  message: `postinstall of evil-pkg@1.0.0 tried to send NPM_TOKEN to 127.0.0.1:${port} (in the ${where}); the request was refused.`,
  evidence: { host: '127.0.0.1', port, protocol: 'http', method, path, secrets: ['NPM_TOKEN'], where },
})

describe('egress proxy: secrets leaving', () => {
  it('refuses a request with a secret in a header before anything reaches the origin', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/x`, headers: { authorization: `Bearer ${TOKEN}` } })
    await h.proxy.close()
    expect(res).toMatchObject({ status: 403, body: 'safe-install: the request carries NPM_TOKEN (in the headers); secrets never leave the sandbox\n' })
    expect(origin.requests).toEqual([])
    expect(h.findings).toEqual([finding(origin.port, 'GET', '/x', 'headers')])
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'http', host: '127.0.0.1', port: origin.port,
      method: 'GET', path: '/x', bytesOut: 0, bytesIn: 0, decision: 'blocked',
    }])
  })

  it('refuses a secret in the URL and redacts it from the event', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const res = await proxyRequest(h.address, { url: `http://127.0.0.1:${origin.port}/c?t=${encodeURIComponent(TOKEN)}` })
    await h.proxy.close()
    expect(res.status).toBe(403)
    expect(h.findings).toEqual([finding(origin.port, 'GET', '/c?t=[redacted]', 'request line')])
    expect(h.events[0]?.path).toBe('/c?t=[redacted]')
  })

  it('refuses a streamed body carrying the secret in base64, and the origin never gets the secret', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const payload = Buffer.from(JSON.stringify({ pad: 'p'.repeat(150_000), env: { NPM_TOKEN: TOKEN }, tail: 't'.repeat(150_000) })).toString('base64')
    const chunks = Array.from({ length: Math.ceil(payload.length / 997) }, (_v, i) => Buffer.from(payload.slice(i * 997, (i + 1) * 997)))
    const res = await postInChunks(h.address, `http://127.0.0.1:${origin.port}/upload`, chunks)
    await origin.settled(1)
    await h.proxy.close()
    expect(res).toEqual({ status: 403, body: 'safe-install: the request carries NPM_TOKEN (in the body); secrets never leave the sandbox\n' })
    const received = origin.requests[0]?.body ?? Buffer.alloc(0)
    expect(origin.requests[0]?.aborted).toBe(true)
    expect(received.length).toBeGreaterThan(100_000)
    expect(scanForSecrets(received, compileNeedles(SECRETS))).toEqual([])
    expect(h.findings).toEqual([finding(origin.port, 'POST', '/upload', 'body')])
    const event = h.events[0]
    expect(event).toMatchObject({ method: 'POST', path: '/upload', bytesIn: 0, decision: 'blocked' })
    expect(event?.bytesOut).toBeGreaterThanOrEqual(received.length)
    expect(event?.bytesOut).toBeLessThan(payload.length)
  })

  it('lets a body without secrets through whole', async () => {
    const origin = await startOrigin()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const body = Buffer.alloc(300_000, 'q')
    const res = await postInChunks(h.address, `http://127.0.0.1:${origin.port}/upload`, [body.subarray(0, 150_000), body.subarray(150_000)])
    await h.proxy.close()
    expect(res.status).toBe(200)
    expect(origin.requests[0]?.body.equals(body)).toBe(true)
    expect(h.events[0]).toMatchObject({ bytesOut: 300_000, decision: 'allowed' })
  })
})

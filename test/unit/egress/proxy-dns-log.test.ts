import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { DNS_LOG_PATH } from '../../../src/sandbox/capture/protocol.js'
import { ATTRIBUTION, cleanup, startProxy, TOKEN, type Harness } from './proxy-helpers.js'

afterEach(cleanup)

/** POST what the namespace bridge's DNS stub sends; resolves with the status. */
const postLog = (h: Harness, lines: string[]): Promise<number> =>
  new Promise((resolve, reject) => {
    if (h.address.kind !== 'unix') throw new Error('the DNS log exists on the unix listener only')
    const req = request({ socketPath: h.address.path, method: 'POST', path: DNS_LOG_PATH }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(lines.join('\n'))
  })

const entry = (name: string, type = 'A', answer: string | null = '127.1.0.1'): string => JSON.stringify({ name, type, answer })

describe('the DNS log of the namespace stub', () => {
  it('records each (name, type) once as a dns event, allowed only for granted names', async () => {
    const h = await startProxy({ grants: ['cdn.test'] })
    expect(await postLog(h, [entry('cdn.test'), entry('CDN.test'), entry('cdn.test', 'AAAA', null), entry('other.test')])).toBe(204)
    await h.proxy.close()
    expect(h.events.map((e) => `${e.protocol} ${e.host} ${e.method ?? ''} ${e.decision} ${e.port}`)).toEqual([
      'dns cdn.test A allowed 53', 'dns cdn.test AAAA allowed 53', 'dns other.test A blocked 53',
    ])
    expect(h.events.every((e) => e.package.name === ATTRIBUTION.package.name && e.event === 'postinstall')).toBe(true)
  })
  it('reports a name the hook is not granted once, as dns-query (warning)', async () => {
    const h = await startProxy({ grants: ['cdn.test'] })
    await postLog(h, [entry('cdn.test'), entry('other.test'), entry('other.test', 'AAAA', null)])
    await h.proxy.close()
    expect(h.findings).toEqual([expect.objectContaining({
      rule: 'dns-query', severity: 'warning', event: 'postinstall', evidence: { name: 'other.test', type: 'A', answer: '127.1.0.1' },
    })])
  })
  it('catches a secret carried in the labels, hex-encoded and split, and never shows it', async () => {
    const h = await startProxy()
    const hex = Buffer.from(TOKEN).toString('hex')
    await postLog(h, [entry(`${hex.slice(0, 40)}.${hex.slice(40)}.exfil.test`)])
    await h.proxy.close()
    expect(h.findings).toEqual([expect.objectContaining({ rule: 'secret-exfiltration', evidence: expect.objectContaining({ where: 'DNS name', secrets: ['NPM_TOKEN'] }) })])
    expect(JSON.stringify([h.events, h.findings])).not.toContain(hex.slice(0, 40))
  })
  it('ignores lines that are not log entries', async () => {
    const h = await startProxy()
    expect(await postLog(h, ['not json', '{"name": 5}', entry('ok.test')])).toBe(204)
    await h.proxy.close()
    expect(h.events.map((e) => e.host)).toEqual(['ok.test'])
  })
  it('is not an endpoint of the loopback listener (no namespace, no stub)', async () => {
    const h = await startProxy({ listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'u:p' } })
    const status = await new Promise<number>((resolve, reject) => {
      if (h.address.kind !== 'tcp') throw new Error('tcp expected')
      const req = request({ host: '127.0.0.1', port: h.address.port, method: 'POST', path: DNS_LOG_PATH, headers: { 'proxy-authorization': `Basic ${Buffer.from('u:p').toString('base64')}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end(entry('x.test'))
    })
    await h.proxy.close()
    expect(status).toBe(400)
    expect(h.events.some((e) => e.protocol === 'dns')).toBe(false)
  })
})

/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Transparent capture: a hook that ignores every proxy variable (plain http.get / https.get with
 * its own agents, its own DNS lookups, a custom resolver) still gets a granted download, through
 * the namespace's DNS stub and the 80/443 listeners that hand each connection to its proxy; a
 * denied name is refused and attributed, a canary hidden in a DNS name is caught, and a custom
 * resolver has no route. "The internet" is the test's upstream proxy on loopback (npm's
 * https-proxy), which serves the CDN name from loopback servers and records what reached it.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect } from 'node:net'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FIXTURES_DIR, makeTempDir, removeDir } from '../helpers/fixtures.js'
import { prepareProject, readJson, safeInstall } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

interface Result { status?: number; body?: string; error?: string; address?: string; addresses?: string[] }

const CDN = 'cdn.safe-install.test'
const DENIED = 'denied.safe-install.test'

describe('transparent capture in the network namespace', () => {
  const open = inject('openRegistry')
  let root: string
  const upstreamSaw: string[] = []
  const resolverSaw: string[] = []
  const servers: Server[] = []
  let upstreamPort = 0
  let udp: UdpSocket

  const listen = async (server: Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    return (server.address() as { port: number }).port
  }

  beforeAll(async () => {
    root = await makeTempDir('si-capture-')
    const tls = path.join(FIXTURES_DIR, 'tls')
    const cdnTls = createHttpsServer({ key: await readFile(path.join(tls, 'cdn.key')), cert: await readFile(path.join(tls, 'cdn.crt')) },
      (_req, res) => res.end('cdn-tls-payload'))
    const tlsPort = await listen(cdnTls)
    const upstream = createServer((req, res) => {
      upstreamSaw.push(`${req.method ?? ''} ${req.url ?? ''}`)
      if (req.url === `http://${CDN}/file.txt`) res.end('cdn-http-payload')
      else res.writeHead(502).end()
    })
    upstream.on('connect', (req, socket, head) => {
      upstreamSaw.push(`CONNECT ${req.url ?? ''}`)
      if (req.url !== `${CDN}:443`) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
        return
      }
      const cdn = connect(tlsPort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        cdn.write(head)
        cdn.pipe(socket).pipe(cdn)
      })
      cdn.on('error', () => socket.destroy())
      socket.on('error', () => cdn.destroy())
    })
    upstreamPort = await listen(upstream)
    udp = createSocket('udp4')
    udp.on('message', (message) => resolverSaw.push(message.toString('hex')))
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const server of servers) server.close()
    udp?.close()
    if (root !== undefined) await removeDir(root)
  })

  const launchers = [
    { launcher: 'bwrap', env: (): Record<string, string> => ({}) },
    { launcher: 'unshare', env: (): Record<string, string> => ({ SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap') }) },
  ] as const
  it.each(launchers)('captures clients that ignore the proxy: granted names work, the rest is refused and attributed ($launcher)', async ({ launcher, env }) => {
    upstreamSaw.length = 0
    resolverSaw.length = 0
    const proxy = `http://127.0.0.1:${upstreamPort}`
    const prepared = await prepareProject('basic', root, `capture-${launcher}`, open, {
      dependencies: { 'capture-client': '1.0.0' },
      allowScripts: { 'capture-client': true },
      npmrcExtra: { 'https-proxy': proxy, proxy, noproxy: '127.0.0.1,localhost' },
      files: { 'safe-install.policy.json': JSON.stringify({ packages: { 'capture-client': { network: [CDN] } } }) },
    })
    const project = { ...prepared, env: { ...prepared.env, ...env() } }
    await writeFile(path.join(project.dir, 'capture-targets.json'), JSON.stringify({
      cdn: CDN, denied: DENIED, resolverPort: (udp.address()).port,
    }))
    const reportFile = path.join(root, `capture-${launcher}.json`)
    const r = await safeInstall(project, ['install', '--quiet', '--report', reportFile])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.isolation).toMatchObject({ backend: launcher, network: 'namespace' })
    const results = await readJson<Record<string, Result>>(path.join(project.dir, 'node_modules', 'capture-client', 'results.json'))

    expect(results['httpCdn']).toEqual({ status: 200, body: 'cdn-http-payload' })
    expect(results['httpsCdn']).toEqual({ status: 200, body: 'cdn-tls-payload' })
    expect(results['httpsDenied']?.status).toBeUndefined()
    expect(results['tokenLookup']?.address).toMatch(/^127\./)
    expect(results['customResolver']?.error).toBeDefined()
    expect(upstreamSaw.sort()).toEqual([`CONNECT ${CDN}:443`, `GET http://${CDN}/file.txt`])
    expect(resolverSaw).toEqual([])

    const who = { package: { name: 'capture-client', version: '1.0.0' }, event: 'postinstall' }
    expect(report.egress).toEqual(expect.arrayContaining([
      expect.objectContaining({ ...who, protocol: 'dns', host: CDN, method: 'A', decision: 'allowed' }),
      expect.objectContaining({ ...who, protocol: 'dns', host: DENIED, decision: 'blocked' }),
      expect.objectContaining({ ...who, protocol: 'http', host: CDN, port: 80, path: '/file.txt', decision: 'allowed' }),
      expect.objectContaining({ ...who, protocol: 'https', host: CDN, port: 443, decision: 'allowed' }),
      expect.objectContaining({ ...who, protocol: 'https', host: DENIED, port: 443, decision: 'blocked' }),
    ]))
    const found = report.findings.map((f) => `${f.rule}:${f.package.name}:${f.event ?? ''}:${String(f.evidence['name'] ?? f.evidence['host'] ?? '')}`)
    expect(found).toEqual(expect.arrayContaining([
      `egress-blocked:capture-client:postinstall:${DENIED}`,
      `dns-query:capture-client:postinstall:${DENIED}`,
    ]))
    expect(found.some((f) => f.startsWith(`dns-query:capture-client:postinstall:${CDN}`))).toBe(false)
    const exfil = report.findings.find((f) => f.rule === 'secret-exfiltration')
    expect(exfil).toMatchObject({ package: { name: 'capture-client' }, event: 'postinstall', evidence: { where: 'DNS name', secrets: ['canary npmToken'] } })
    expect(r.code).toBe(1)
    expect(JSON.stringify(report)).not.toMatch(/npm_[A-Za-z0-9]{36}/)
  })
})

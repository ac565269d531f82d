/// <reference path="../helpers/provided-context.d.ts" />
/**
 * With the namespace sandbox, an APPROVED hostile (harmless) hook gets nothing out: no file of the
 * real home or the project's credentials, no other process's environ, no socket to the host, no
 * write outside its own directory. The same fixture without namespaces shows each attempt
 * succeeding, so these assertions can fail.
 */
import { createServer as createTcpServer, type Server } from 'node:net'
import { createSocket, type Socket } from 'node:dgram'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { bwrapWorks, PLANTED, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import type { Report } from '../../src/types.js'

interface Attempt { ok: boolean; value?: unknown; error?: string }

describe('containment of an approved hostile hook', () => {
  const open = inject('openRegistry')
  let root: string
  const received: string[] = []
  const servers: Array<Server | Socket> = []
  let tcpPort = 0
  let udpPort = 0

  beforeAll(async () => {
    root = await makeTempDir('si-contain-')
    const tcp4 = createTcpServer((s) => s.on('data', (d: Buffer) => received.push(`tcp4:${d.toString()}`)))
    await new Promise<void>((resolve) => tcp4.listen(0, '127.0.0.1', resolve))
    tcpPort = (tcp4.address() as { port: number }).port
    const tcp6 = createTcpServer((s) => s.on('data', (d: Buffer) => received.push(`tcp6:${d.toString()}`)))
    await new Promise<void>((resolve) => tcp6.listen(tcpPort, '::1', resolve))
    const udp = createSocket('udp4')
    udp.on('message', (m) => received.push(`udp:${m.toString()}`))
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
    udpPort = udp.address().port
    servers.push(tcp4, tcp6, udp)
  })
  afterAll(async () => {
    for (const server of servers) server.close()
    if (root !== undefined) await removeDir(root)
  })

  const install = async (label: string, extraEnv: Record<string, string>): Promise<{ project: TestProject; attempts: Record<string, Attempt>; report: Report; code: number | null }> => {
    const project = await prepareProject('basic', root, label, open, {
      dependencies: { 'benign-postinstall': '1.0.0', 'escape-artist': '1.0.0' },
      allowScripts: { 'benign-postinstall': true, 'escape-artist': true },
    })
    await writeFile(path.join(project.dir, 'escape-targets.json'), JSON.stringify({ realHome: project.home, tcpPort, udpPort }))
    const reportFile = path.join(root, `${label}.json`)
    const r = await safeInstall({ ...project, env: { ...project.env, ...extraEnv } }, ['install', '--quiet', '--report', reportFile])
    const attempts = await readJson<Record<string, Attempt>>(path.join(project.dir, 'node_modules', 'escape-artist', 'attempts.json'))
    return { project, attempts, report: await readJson<Report>(reportFile), code: r.code }
  }

  const launchers = [
    { name: 'bwrap', label: 'ns', env: (): Record<string, string> => ({}) },
    // bubblewrap made unavailable: the same sandbox built by util-linux unshare and ns-unshare.sh.
    { name: 'unshare', label: 'ns-unshare', env: (): Record<string, string> => ({ SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap') }) },
  ] as const
  describe.runIf(bwrapWorks()).each(launchers)('with the namespace sandbox set up by $name', ({ name, label, env }) => {
    let run: Awaited<ReturnType<typeof install>>
    beforeAll(async () => {
      received.length = 0
      run = await install(label, env())
    })

    it('records that the namespace sandbox and the tracer were in force', () => {
      expect(run.report.isolation).toMatchObject({ backend: name, network: 'namespace', filesystem: 'namespace', pid: 'namespace', tracer: 'strace' })
    })

    it('reports every attempt, on the hostile package and hook only (exit 1)', () => {
      expect(run.code).toBe(1)
      const errors = run.report.findings.filter((f) => f.severity === 'error')
      expect(errors.every((f) => f.package.name === 'escape-artist' && f.event === 'postinstall')).toBe(true)
      const seen = (rule: string, subject: RegExp): boolean => errors.some((f) => f.rule === rule && subject.test(String(f.evidence['path'] ?? f.evidence['address'] ?? '')))
      expect(seen('credential-read', /\/project\/\.npmrc$/), 'project .npmrc').toBe(true)
      expect(seen('credential-read', /^\/proc\/\d+\/environ$/), '/proc environ').toBe(true)
      expect(seen('persistence', /\/\.bashrc$/), '.bashrc').toBe(true)
      expect(seen('persistence', /\/\.github\/workflows/), 'workflow').toBe(true)
      expect(seen('package-tamper', /node_modules\/benign-postinstall\/index\.js$/), 'other package').toBe(true)
      expect(seen('package-tamper', /\/project\/package\.json$/), 'manifest').toBe(true)
      expect(seen('direct-connection', /^127\.0\.0\.1$/), 'tcp4').toBe(true)
      expect(seen('direct-connection', /^::1$/), 'tcp6').toBe(true)
      const tcp = errors.find((f) => f.rule === 'direct-connection' && f.evidence['address'] === '127.0.0.1')
      expect(tcp?.evidence).toMatchObject({ port: tcpPort, syscall: expect.any(String), pid: expect.any(Number) })
    })

    it('cannot read the project .npmrc or the real home, even by absolute path or passwd', () => {
      expect(run.attempts['projectNpmrc']).toBeDefined()
      expect(JSON.stringify(run.attempts['projectNpmrc'])).not.toContain('_authToken')
      expect(run.attempts['realHomeNpmrc']?.ok).toBe(false)
      expect(run.attempts['passwdHomeListing']?.value ?? []).not.toContain('.npmrc')
    })

    it('sees no secret in any process environ it can reach', () => {
      const text = JSON.stringify(run.attempts)
      for (const secret of [...Object.values(PLANTED), open.token ?? 'x']) expect(text).not.toContain(secret)
    })

    it('reaches no host socket: TCP, decimal address, IPv6 and UDP listeners receive nothing', () => {
      for (const name of ['tcp4', 'tcp4Decimal', 'tcp6']) expect(run.attempts[name]?.ok, name).toBe(false)
      expect(received).toEqual([])
    })

    it('cannot write the real ~/.bashrc, another package, the workflows or the manifest', () => {
      for (const name of ['writeBashrc', 'writeOtherPackage', 'writeWorkflow', 'writeProjectManifest']) expect(run.attempts[name]?.ok, name).toBe(false)
      expect(existsSync(path.join(run.project.home, '.bashrc'))).toBe(false)
      expect(readFileSync(path.join(run.project.dir, 'node_modules', 'benign-postinstall', 'index.js'), 'utf8')).not.toContain('escape-artist')
      expect(existsSync(path.join(run.project.dir, '.github'))).toBe(false)
    })

    it('still lets benign scripts work', () => {
      expect(existsSync(path.join(run.project.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
    })
  })

  it('without namespaces the same attempts succeed (what the sandbox prevents)', async () => {
    received.length = 0
    const run = await install('none', { SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-unshare') })
    expect(run.report.isolation.backend).toBe('none')
    expect(run.attempts['projectNpmrc']?.value).toContain('_authToken=')
    expect(run.attempts['writeBashrc']?.ok).toBe(true)
    expect(run.attempts['tcp4']?.ok).toBe(true)
    expect(received.some((m) => m.includes('LEAK'))).toBe(true)
  })
})

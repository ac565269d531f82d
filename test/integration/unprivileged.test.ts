/// <reference path="../helpers/provided-context.d.ts" />
/**
 * The namespace sandbox as an ordinary user, not only as root (CI machines run tests as root):
 * when the suite runs as root, the same install runs again as `nobody` through runuser, with
 * each launcher. The approved hostile fixture must be contained and the benign one must work.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { run } from '../helpers/registry.js'
import { BIN, prepareProject, readJson } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

const canRunAsNobody = (): boolean => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

interface Attempt { ok: boolean; value?: unknown; error?: string }

describe.runIf(canRunAsNobody())('as an ordinary user', () => {
  const open = inject('openRegistry')
  let root: string
  let server: Server
  let port = 0
  const received: string[] = []

  beforeAll(async () => {
    root = await makeTempDir('si-nobody-')
    await chmod(root, 0o755)
    server = createServer((s) => s.on('data', (d: Buffer) => received.push(d.toString())))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(async () => {
    server?.close()
    if (root !== undefined) await removeDir(root)
  })

  it.each([
    { launcher: 'bwrap', env: {} },
    { launcher: 'unshare', env: { SAFE_INSTALL_BWRAP: '/nonexistent/bwrap' } },
  ])('contains an approved hostile hook with $launcher', async ({ launcher, env }) => {
    received.length = 0
    const project = await prepareProject('basic', root, `nobody-${launcher}`, open, {
      dependencies: { 'benign-postinstall': '1.0.0', 'escape-artist': '1.0.0' },
      allowScripts: { 'benign-postinstall': true, 'escape-artist': true },
    })
    await writeFile(path.join(project.dir, 'escape-targets.json'), JSON.stringify({ realHome: project.home, tcpPort: port, udpPort: port }))
    execFileSync('chown', ['-R', 'nobody:', path.join(root, `nobody-${launcher}`)])
    const reportFile = path.join(project.dir, 'report.json')
    const r = await run('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'install', '--quiet', '--report', reportFile], {
      cwd: project.dir, env: { ...project.env, ...env }, timeoutMs: 110_000,
    })
    const report = await readJson<Report>(reportFile)
    // Every attempt is reported (the tracer), all on the hostile package: exit 1, and nothing else failed.
    const errors = report.findings.filter((f) => f.severity === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.filter((f) => f.package.name !== 'escape-artist').map((f) => f.message)).toEqual([])
    expect(r.code, r.stderr).toBe(1)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.isolation).toMatchObject({ backend: launcher, network: 'namespace', filesystem: 'namespace', pid: 'namespace' })
    const attempts = await readJson<Record<string, Attempt>>(path.join(project.dir, 'node_modules', 'escape-artist', 'attempts.json'))
    expect(JSON.stringify(attempts['projectNpmrc'])).not.toContain('_authToken')
    expect(attempts['realHomeNpmrc']?.ok).toBe(false)
    for (const name of ['tcp4', 'tcp4Decimal', 'tcp6', 'writeBashrc', 'writeOtherPackage', 'writeProjectManifest']) expect(attempts[name]?.ok, name).toBe(false)
    expect(received).toEqual([])
    expect(existsSync(path.join(project.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
  })
})

/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install doctor` as a user runs it: on this machine, with the bwrap and strace overrides
 * pointing at missing files, and inside user namespaces where user.max_user_namespaces is 0 (as
 * root keeping its capabilities, as root without them, as nobody). Each time the bottom line must
 * be what an install really reports on the same machine with the same environment.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readlinkSync, writeFileSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { validateDoctor } from '../helpers/doctor-schema.js'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import type { RunResult } from '../helpers/registry.js'
import { BIN, bwrapWorks, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import type { CheckId, DoctorCheck, DoctorResult } from '../../src/doctor/types.js'
import type { Report } from '../../src/types.js'

const parse = (r: RunResult): DoctorResult => {
  const result = JSON.parse(r.stdout) as DoctorResult
  expect(validateDoctor(result), JSON.stringify(validateDoctor.errors)).toBe(true)
  return result
}
const checks = (result: DoctorResult): Record<CheckId, DoctorCheck> =>
  Object.fromEntries(result.checks.map((c) => [c.id, c])) as Record<CheckId, DoctorCheck>
const oneLineError = (stderr: string): void => {
  expect(stderr).toMatch(/^safe-install: /)
  expect(stderr).not.toMatch(/\n\s+at /)
}

const onPath = (name: string): string | undefined => {
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Root may give a user namespace user.max_user_namespaces=0 (the limit is per namespace): no nested one can be made. */
const canDisableUserns = (): boolean => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || onPath('unshare') === undefined || onPath('setpriv') === undefined) return false
  try {
    execFileSync('unshare', ['--user', '--map-root-user', '--', '/bin/sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

type Who = 'root' | 'root-without-capabilities' | 'nobody'

const DISABLE = 'echo 0 > /proc/sys/user/max_user_namespaces'
const AS: Readonly<Record<Who, string>> = {
  root: `${DISABLE} && exec "$0" "$@"`,
  'root-without-capabilities': `${DISABLE} && exec setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$0" "$@"`,
  nobody: `${DISABLE} && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$0" "$@"`,
}

/**
 * Run `argv` in a new user namespace whose user.max_user_namespaces is 0. For nobody, uids 0-65535
 * are mapped by this (root) process once the namespace exists, then the child re-executes so that
 * it holds root's capabilities there, lowers the limit and becomes nobody.
 */
const inUserns = async (who: Who, argv: string[], project: TestProject, env: Record<string, string> = {}): Promise<RunResult> => {
  const args = who === 'nobody'
    ? ['--user', '--', '/bin/sh', '-c', 'read _ || exit 1; exec /bin/sh -c "$0" "$@"', AS.nobody, ...argv]
    : ['--user', '--map-root-user', '--', '/bin/sh', '-c', AS[who], ...argv]
  const child = spawn('unshare', args, { cwd: project.dir, env: { ...project.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
  if (who === 'nobody') {
    const own = readlinkSync('/proc/self/ns/user')
    for (let i = 0; i < 500 && readlinkSync(`/proc/${child.pid}/ns/user`) === own; i++) await sleep(10)
    writeFileSync(`/proc/${child.pid}/uid_map`, '0 0 65536\n')
    writeFileSync(`/proc/${child.pid}/gid_map`, '0 0 65536\n')
    child.stdin.end('\n')
  } else {
    child.stdin.end()
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 110_000)
  const code = await closed
  clearTimeout(timer)
  return { code, signal: null, stdout, stderr }
}

describe('safe-install doctor', () => {
  const open = inject('openRegistry')
  let root: string
  let n = 0
  const project = async (): Promise<TestProject> => prepareProject('basic', root, `p${n++}`, open, {
    dependencies: { 'benign-postinstall': '1.0.0' }, allowScripts: { 'benign-postinstall': true },
  })
  /** The isolation of a real install with the same environment. */
  const installIsolation = async (p: TestProject, env: Record<string, string> = {}): Promise<Report['isolation']> => {
    const file = path.join(p.dir, 'report.json')
    const r = await safeInstall({ ...p, env: { ...p.env, ...env } }, ['install', '--quiet', '--report', file])
    expect(r.code, r.stderr).toBe(0)
    return (await readJson<Report>(file)).isolation
  }
  beforeAll(async () => {
    root = await makeTempDir('si-doctor-')
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('rejects bad input with exit 2 and one line', async () => {
    const p = await project()
    for (const args of [['doctor', '--format', 'sarif'], ['doctor', 'now'], ['doctor', '--no-such-flag']]) {
      const r = await safeInstall(p, args)
      expect(r.code, args.join(' ')).toBe(2)
      oneLineError(r.stderr)
    }
  })

  describe.runIf(bwrapWorks())('on this machine (bubblewrap works)', () => {
    it('every namespace layer works and the isolation is the install\'s own', async () => {
      const p = await project()
      const r = await safeInstall(p, ['doctor', '--format', 'json', '--require-isolation'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      const result = parse(r)
      const c = checks(result)
      for (const id of ['userns', 'bwrap', 'netns', 'mountns', 'pidns', 'preload'] as const) expect(c[id].status, `${id}: ${c[id].reason ?? ''}`).toBe('ok')
      expect(c.netns.detail).toBe('bwrap: only loopback inside, and 127.0.0.1 is reachable')
      expect(result.isolation).toMatchObject({ backend: 'bwrap', network: 'namespace', filesystem: 'namespace', pid: 'namespace' })
      expect(result.sandbox).toMatchObject({ namespace: true, transparentCapture: true, warning: null, requireIsolation: { wouldPass: true } })
      expect(result.isolation.tracer).toBe(c.strace.status === 'ok' ? 'strace' : 'preload')
      expect(await installIsolation(p)).toEqual(result.isolation)
    })

    it('prints one line per layer: words without colour, ✓ with it', async () => {
      const p = await project()
      const plain = await safeInstall({ ...p, env: { ...p.env, NO_COLOR: '1' } }, ['doctor'])
      expect(plain.code).toBe(0)
      expect(plain.stdout).not.toMatch(/\u001b|✓/)
      expect(plain.stdout).toMatch(/^ok +bubblewrap +\/\S*bwrap .*transparent capture works$/m)
      expect(plain.stdout).toMatch(/^an install here gets isolation: bwrap \(network namespace, filesystem namespace, pid namespace, tracer \w+\)$/m)
      const colour = await safeInstall({ ...p, env: { ...p.env, FORCE_COLOR: '1' } }, ['doctor'])
      expect(colour.stdout).toMatch(/\u001b\[32m✓\u001b\[39m \u001b\[1mbubblewrap/)
    })

    it('with SAFE_INSTALL_BWRAP at a missing file: bubblewrap missing, the unshare fallback in use, as in an install', async () => {
      const p = await project()
      const env = { SAFE_INSTALL_BWRAP: path.join(root, 'no-such-bwrap') }
      const result = parse(await safeInstall({ ...p, env: { ...p.env, ...env } }, ['doctor', '--format', 'json']))
      const c = checks(result)
      expect(c.bwrap).toMatchObject({ status: 'missing', reason: 'SAFE_INSTALL_BWRAP is set to a file that does not exist' })
      expect(c.bwrap.fix[0]).toMatch(/^unset SAFE_INSTALL_BWRAP {3}# to use \/\S*bwrap$/)
      expect(JSON.stringify(result)).not.toContain('no-such-bwrap')
      expect(c.unshare.status).toBe('ok')
      expect(c.netns.detail).toMatch(/^unshare: only loopback inside/)
      expect(result.isolation.backend).toBe('unshare')
      expect(await installIsolation(p, env)).toEqual(result.isolation)
    })
  })

  it.runIf(process.platform === 'linux')('with SAFE_INSTALL_STRACE at a missing file: strace missing, the preload observer traces, as in an install', async () => {
    const p = await project()
    const env = { SAFE_INSTALL_STRACE: path.join(root, 'no-such-strace') }
    const r = await safeInstall({ ...p, env: { ...p.env, ...env } }, ['doctor', '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    const result = parse(r)
    const c = checks(result)
    expect(c.strace).toMatchObject({ status: 'missing', reason: 'SAFE_INSTALL_STRACE is set to a file that does not exist' })
    expect(c['seccomp-bpf'].status).toBe('missing')
    expect(c.preload).toMatchObject({ status: 'ok', detail: 'recorded a file access of node code; the tracer of installs here' })
    expect(result.isolation.tracer).toBe('preload')
    expect(result.sandbox.gaps.some((gap) => gap.startsWith('tracer: preload'))).toBe(true)
    expect(await installIsolation(p, env)).toEqual(result.isolation)
  })

  describe.runIf(canDisableUserns())('in a user namespace with user.max_user_namespaces=0 (needs root, unshare and setpriv)', () => {
    it('as root there: no nested user namespace, so bwrap runs without transparent capture, as an install does', async () => {
      const p = await project()
      const r = await inUserns('root', [process.execPath, BIN, 'doctor', '--format', 'json', '--require-isolation'], p)
      expect(r.code, r.stderr).toBe(0)
      const result = parse(r)
      const c = checks(result)
      expect(c.userns).toMatchObject({ status: 'missing', reason: 'user.max_user_namespaces is 0: user namespaces are disabled' })
      expect(c.userns.fix[0]).toBe('sudo sysctl -w user.max_user_namespaces=15000')
      expect(c.bwrap.status).toBe('degraded')
      expect(c.bwrap.detail).toContain('without transparent capture')
      expect(c.unshare.status).toBe('missing')
      for (const id of ['netns', 'mountns', 'pidns'] as const) expect(c[id].status, id).toBe('ok')
      expect(result.isolation).toMatchObject({ backend: 'bwrap', network: 'namespace' })
      expect(result.sandbox).toMatchObject({ namespace: true, transparentCapture: false, requireIsolation: { wouldPass: true } })
      expect(result.sandbox.warning?.reason).toMatch(/^transparent capture is off/)
      const file = path.join(p.dir, 'report.json')
      const install = await inUserns('root', [process.execPath, BIN, 'install', '--quiet', '--report', file], p)
      expect(install.code, install.stderr).toBe(0)
      expect((await readJson<Report>(file)).isolation).toEqual(result.isolation)
    })

    it('as root without capabilities (a container without CAP_SYS_ADMIN): no namespace sandbox at all', async () => {
      const p = await project()
      const r = await inUserns('root-without-capabilities', [process.execPath, BIN, 'doctor', '--format', 'json'], p)
      expect(r.code, r.stderr).toBe(0)
      const result = parse(r)
      const c = checks(result)
      expect(result.host).toMatchObject({ uid: 0, capSysAdmin: false })
      for (const id of ['userns', 'bwrap', 'unshare', 'netns', 'mountns', 'pidns'] as const) expect(c[id].status, id).toBe('missing')
      expect(c.userns.reason).toContain('user.max_user_namespaces is 0')
      expect(c.netns.detail).toContain('Operation not permitted')
      if (result.host.container.kind === null) {
        expect(c.container.status).toBe('ok')
      } else {
        expect(c.container).toMatchObject({ status: 'degraded', reason: expect.stringContaining('root without CAP_SYS_ADMIN') as unknown })
        expect(c.bwrap.fix.some((fix) => fix.includes('--cap-add SYS_ADMIN'))).toBe(true)
      }
      expect(result.isolation).toEqual({ backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'preload' })
    })

    describe('as nobody there (an ordinary user with user namespaces disabled)', () => {
      let p: TestProject
      beforeAll(async () => {
        await chmod(root, 0o755)
        p = await project()
        const tmp = path.join(p.dir, '..', 'tmp')
        await mkdir(tmp, { recursive: true })
        execFileSync('chown', ['-R', '65534:65534', path.dirname(p.dir)])
        p = { ...p, env: { ...p.env, TMPDIR: tmp } }
      })
      const skipUnlessReadable = (): boolean => {
        try {
          execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, '--version'], { stdio: 'ignore' })
          return true
        } catch {
          return false
        }
      }

      it('every namespace layer is missing and says why; --require-isolation exits 4 with the install\'s own message', async (context) => {
        if (!skipUnlessReadable()) context.skip('nobody cannot run node or read this checkout')
        const r = await inUserns('nobody', [process.execPath, BIN, 'doctor', '--format', 'json', '--require-isolation'], p)
        expect(r.code, r.stderr).toBe(4)
        oneLineError(r.stderr)
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2)
        const result = parse(r)
        const c = checks(result)
        expect(result.host.uid).toBe(65534)
        for (const id of ['userns', 'bwrap', 'unshare', 'netns', 'mountns', 'pidns'] as const) expect(c[id].status, id).toBe('missing')
        for (const id of ['userns', 'bwrap', 'unshare', 'netns'] as const) {
          expect(c[id].reason, id).toBe('user.max_user_namespaces is 0: user namespaces are disabled')
        }
        expect(c.userns.fix).toContain('sudo sysctl -w user.max_user_namespaces=15000')
        expect(c.container.status).toBe('ok')
        expect(c.preload.status).toBe('ok')
        expect(result.isolation).toEqual({ backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'preload' })
        expect(result.sandbox.requireIsolation.wouldPass).toBe(false)
        expect(r.stderr).toBe(`safe-install: ${result.sandbox.requireIsolation.reason ?? ''}\n  fix: ${result.sandbox.requireIsolation.fix ?? ''}\n`)

        const strict = await inUserns('nobody', [process.execPath, BIN, 'install', '--quiet', '--require-isolation'], p)
        expect(strict.code, strict.stderr).toBe(4)
        expect(strict.stderr).toBe(r.stderr)
        expect(existsSync(path.join(p.dir, 'node_modules'))).toBe(false)
      })

      it('without --require-isolation: exit 0, the warning an install prints, and the install\'s isolation', async (context) => {
        if (!skipUnlessReadable()) context.skip('nobody cannot run node or read this checkout')
        const r = await inUserns('nobody', [process.execPath, BIN, 'doctor'], p, { NO_COLOR: '1' })
        expect(r.code, r.stderr).toBe(0)
        expect(r.stdout).toMatch(/^missing +user namespaces +creating one failed: /m)
        expect(r.stdout).toContain('    fix: sudo sysctl -w user.max_user_namespaces=15000')
        expect(r.stdout).toContain('    why: as for user namespaces above')
        expect(r.stdout).toContain('an install here gets isolation: none (')
        expect(r.stdout).toContain('--require-isolation: an install with it stops here (exit 4)')
        const file = path.join(p.dir, 'report.json')
        const install = await inUserns('nobody', [process.execPath, BIN, 'install', '--report', file], p)
        expect(install.code, install.stderr).toBe(0)
        expect(install.stderr).toContain('safe-install: warning: running without the namespace sandbox')
        expect((await readJson<Report>(file)).isolation).toEqual({ backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'preload' })
      })
    })
  })
})

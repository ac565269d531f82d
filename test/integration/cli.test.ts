/// <reference path="../helpers/provided-context.d.ts" />
/**
 * The command line as a user meets it: flags like npm's, clear one-line errors with exit codes of
 * DESIGN.md, rebuild, directory dependencies' prepare, and failed installs.
 */
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { mkdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { BIN, npm, prepareProject, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { execFileSync, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Report } from '../../src/types.js'

const oneLineError = (stderr: string): void => {
  expect(stderr).toMatch(/^safe-install: /)
  expect(stderr).not.toMatch(/\n\s+at /)
}

describe('command line', () => {
  const open = inject('openRegistry')
  let root: string
  let basic: TestProject
  beforeAll(async () => {
    root = await makeTempDir('si-cli-')
    basic = await prepareProject('basic', root, 'basic', open, {
      dependencies: { 'benign-postinstall': '1.0.0' }, allowScripts: { 'benign-postinstall': true },
    })
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('--version and -v (as npm) print the version of package.json and install nothing', async () => {
    const { version } = JSON.parse(readFileSync(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')) as { version: string }
    for (const flag of ['--version', '-v']) {
      const r = await safeInstall(basic, [flag])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`${version}\n`)
    }
    expect(existsSync(path.join(basic.dir, 'node_modules'))).toBe(false)
  })

  it('rejects an unknown flag with exit 2 and one line, changing nothing', async () => {
    const r = await safeInstall(basic, ['install', '--no-such-flag'])
    expect(r.code).toBe(2)
    oneLineError(r.stderr)
    expect(r.stderr).toContain('no-such-flag')
    expect(existsSync(path.join(basic.dir, 'node_modules'))).toBe(false)
  })

  it('rejects an invalid policy file naming the field (exit 2)', async () => {
    await writeFile(path.join(root, 'bad-policy.json'), JSON.stringify({ packages: { x: { netwrk: [] } } }))
    const r = await safeInstall(basic, ['install', '--policy', path.join(root, 'bad-policy.json')])
    expect(r.code).toBe(2)
    oneLineError(r.stderr)
    expect(r.stderr).toContain('packages.x: unknown field "netwrk"')
  })

  it('rejects a non-boolean allowScripts entry (exit 2)', async () => {
    const p = await prepareProject('basic', root, 'bad-allow', open, { dependencies: {} })
    const file = path.join(p.dir, 'package.json')
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    await writeFile(file, JSON.stringify({ ...pkg, allowScripts: { esbuild: 'yes' } }))
    const r = await safeInstall(p, ['install'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('allowScripts["esbuild"] must be true or false')
  })

  it('--require-isolation fails with exit 4 and says why when bubblewrap is missing, changing nothing', async () => {
    const p = await prepareProject('basic', root, 'require-iso', open, { dependencies: { 'benign-postinstall': '1.0.0' } })
    const r = await safeInstall({ ...p, env: { ...p.env, SAFE_INSTALL_BWRAP: path.join(root, 'no-such-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-such-unshare') } }, ['install', '--require-isolation'])
    expect(r.code).toBe(4)
    oneLineError(r.stderr)
    expect(r.stderr).toContain('namespace sandbox could not be set up: bubblewrap (bwrap) is not installed')
    expect(r.stderr).toContain('apt-get install bubblewrap')
    expect(existsSync(path.join(p.dir, 'node_modules'))).toBe(false)
  })

  it('without bubblewrap warns once, with the reason and the fix, and still installs', async () => {
    const p = await prepareProject('basic', root, 'degraded', open, { dependencies: { 'benign-postinstall': '1.0.0' }, allowScripts: { 'benign-postinstall': true } })
    const r = await safeInstall({ ...p, env: { ...p.env, SAFE_INSTALL_BWRAP: path.join(root, 'no-such-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-such-unshare') } }, ['install'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split('\n')[0]).toBe('safe-install: warning: running without the namespace sandbox: bubblewrap (bwrap) is not installed; without bubblewrap, unshare: unshare (util-linux) not installed')
    expect(r.stdout).toContain('isolation: none')
    expect(existsSync(path.join(p.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
  })

  it('ci without a lockfile is a usage error (exit 2)', async () => {
    const r = await safeInstall(basic, ['ci'])
    expect(r.code).toBe(2)
    oneLineError(r.stderr)
    expect(r.stderr).toContain('package-lock.json')
  })

  it('install, then ci fails on drift without touching the lockfile', async () => {
    expect((await safeInstall(basic, ['install', '--quiet'])).code).toBe(0)
    expect(readFileSync(path.join(basic.dir, 'node_modules', 'benign-postinstall', 'built.txt'), 'utf8')).toBeTruthy()
    const lock = readFileSync(path.join(basic.dir, 'package-lock.json'), 'utf8')
    const file = path.join(basic.dir, 'package.json')
    const original = readFileSync(file, 'utf8')
    const pkg = JSON.parse(original) as { dependencies: Record<string, string> }
    pkg.dependencies['dump-env'] = '1.0.0'
    await writeFile(file, JSON.stringify(pkg, null, 2))
    const r = await safeInstall(basic, ['ci'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('in sync')
    expect(r.stderr).toContain('dump-env')
    expect(readFileSync(path.join(basic.dir, 'package-lock.json'), 'utf8')).toBe(lock)
    await writeFile(file, original)
  })

  it('rebuild reruns the install scripts of installed packages', async () => {
    const built = path.join(basic.dir, 'node_modules', 'benign-postinstall', 'built.txt')
    unlinkSync(built)
    const r = await safeInstall(basic, ['rebuild', 'benign-postinstall', '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(built)).toBe(true)
    const report = JSON.parse(r.stdout) as Report
    expect(report.command).toBe('rebuild')
    expect(report.packages.map((p) => [p.name, p.scripts.map((s) => s.outcome)])).toEqual([['benign-postinstall', ['ok']]])
  })

  it('adds a dependency like npm install -D -E does', async () => {
    const ours = await prepareProject('basic', root, 'add-ours', open, { dependencies: {} })
    const theirs = await prepareProject('basic', root, 'add-npm', open, { dependencies: {} })
    const [a, b] = await Promise.all([
      safeInstall(ours, ['add', '-D', '-E', 'benign-postinstall', '--quiet']),
      npm(theirs, ['install', '-D', '-E', 'benign-postinstall']),
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(readFileSync(path.join(ours.dir, 'package.json'), 'utf8')).toBe(readFileSync(path.join(theirs.dir, 'package.json'), 'utf8'))
    expect(readFileSync(path.join(ours.dir, 'package-lock.json'), 'utf8')).toBe(readFileSync(path.join(theirs.dir, 'package-lock.json'), 'utf8'))
  })

  it('--no-save installs without writing package.json', async () => {
    const p = await prepareProject('basic', root, 'nosave', open, { dependencies: {} })
    const before = readFileSync(path.join(p.dir, 'package.json'), 'utf8')
    const r = await safeInstall(p, ['install', '--no-save', 'benign-postinstall', '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(path.join(p.dir, 'package.json'), 'utf8')).toBe(before)
    expect(existsSync(path.join(p.dir, 'node_modules', 'benign-postinstall'))).toBe(true)
  })

  it('runs prepare of an approved directory dependency, as npm does', async () => {
    const ours = await prepareProject('with-prepare', root, 'prep-ours', open)
    const theirs = await prepareProject('with-prepare', root, 'prep-npm', open)
    const [a, b] = await Promise.all([
      safeInstall(ours, ['install', '--unreviewed', 'sandbox', '--format', 'json']),
      npm(theirs, ['install']),
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const prepared = (dir: string): boolean => existsSync(path.join(dir, 'with-prepare-dir', 'prepared.txt'))
    expect(prepared(theirs.dir)).toBe(true)
    expect(prepared(ours.dir)).toBe(true)
    const report = JSON.parse(a.stdout) as Report
    expect(report.packages.flatMap((p) => p.scripts.map((s) => `${p.name}:${s.event}:${s.outcome}`))).toContain('with-prepare:prepare:ok')
  })

  it('a failing non-optional script fails the install with exit 3 and shows its output', async () => {
    const p = await prepareProject('basic', root, 'hardfail', open, {
      dependencies: { 'optional-fails': '1.0.0' }, allowScripts: { 'optional-fails': true },
    })
    const r = await safeInstall(p, ['install'])
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(r.stderr).toContain('install failed')
    expect(r.stdout).toContain('script-failed')
    rmSync(path.join(p.dir, 'node_modules'), { recursive: true, force: true })
  })

  it('installs into one workspace with -w like npm, and rejects an unknown one (exit 2)', async () => {
    const layout = async (p: TestProject): Promise<void> => {
      await writeFile(path.join(p.dir, 'package.json'), JSON.stringify({ name: 'ws-root', version: '1.0.0', private: true, workspaces: ['packages/*'], allowScripts: { 'benign-postinstall': true } }, null, 2))
      for (const name of ['a', 'b']) {
        await mkdir(path.join(p.dir, 'packages', name), { recursive: true })
        await writeFile(path.join(p.dir, 'packages', name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }, null, 2))
      }
    }
    const ours = await prepareProject('basic', root, 'ws-ours', open)
    const theirs = await prepareProject('basic', root, 'ws-npm', open)
    await layout(ours)
    await layout(theirs)
    const [a, b] = await Promise.all([
      safeInstall(ours, ['install', '-w', 'a', 'benign-postinstall', '--quiet', '--format', 'json']),
      npm(theirs, ['install', '-w', 'a', 'benign-postinstall']),
    ])
    expect(a.code, a.stdout).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    for (const file of ['package-lock.json', 'packages/a/package.json', 'packages/b/package.json', 'package.json']) {
      expect(readFileSync(path.join(ours.dir, file), 'utf8'), file).toBe(readFileSync(path.join(theirs.dir, file), 'utf8'))
    }
    expect(existsSync(path.join(ours.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
    const bad = await safeInstall(ours, ['install', '-w', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('No workspaces found: --workspace=nope')
  })

  it('on SIGINT kills running hooks, removes its temporary files and exits 130', async () => {
    const p = await prepareProject('sleeper', root, 'interrupt', open, { allowScripts: { sleeper: true } })
    const ours = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('safe-install-'))
    const before = new Set(ours())
    const child = spawn(process.execPath, [BIN, 'install'], { cwd: p.dir, env: p.env, stdio: 'ignore' })
    const started = path.join(p.dir, 'node_modules', 'sleeper', 'started.json')
    for (let i = 0; i < 200 && !existsSync(started); i++) await sleep(100)
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c))
      child.kill('SIGINT')
    })
    expect(code).toBe(130)
    await sleep(300)
    expect(ours().filter((name) => !before.has(name))).toEqual([])
    await sleep(3500)
    expect(existsSync(path.join(p.dir, 'node_modules', 'sleeper', 'grandchild-alive.txt'))).toBe(false)
  })

  it('runs prepare of an approved git dependency through the sandbox, identified by its git URL', async () => {
    const repo = path.join(root, 'git-repo')
    await mkdir(repo, { recursive: true })
    await writeFile(path.join(repo, 'package.json'), JSON.stringify({
      name: 'git-dep', version: '1.0.0', files: ['*.txt', 'index.js'],
      scripts: { prepare: 'node -e "require(\'fs\').writeFileSync(\'prepared.txt\', process.env.HOME)"' },
    }, null, 2))
    await writeFile(path.join(repo, 'index.js'), 'module.exports = 1\n')
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'user.email=test@localhost', '-c', 'user.name=test', ...args], { cwd: repo, stdio: 'ignore' })
    }
    git('init', '-q')
    git('add', '-A')
    git('commit', '-qm', 'init')
    const spec = `git+file://${repo}`
    const p = await prepareProject('basic', root, 'git-dep', open, { dependencies: { 'git-dep': spec }, allowScripts: { [spec]: true } })
    const r = await safeInstall(p, ['install', '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    const entry = report.packages.find((pkg) => pkg.name === 'git-dep')
    expect(entry).toMatchObject({ approval: 'approved', location: 'node_modules/git-dep' })
    expect(entry?.scripts.map((s) => `${s.event}:${s.outcome}`)).toEqual(['prepare:ok'])
    const prepared = readFileSync(path.join(p.dir, 'node_modules', 'git-dep', 'prepared.txt'), 'utf8')
    expect(prepared).not.toBe(p.home)
    expect(prepared).toContain('safe-install-sbx-')
  })
})

/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install audit` the way a user runs it: a real lockfile npm wrote from the test registry,
 * a tampered copy, the other formats' fixtures, bad input, and proof that it is offline: the
 * registry npm is configured for is a listener that counts every connection, and the same audit
 * runs inside a network namespace with no network at all.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FIXTURES_DIR, makeTempDir, removeDir, REPO_ROOT } from '../helpers/fixtures.js'
import { BIN, npm, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { run } from '../helpers/registry.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

const netnsWorks = (): boolean => {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('safe-install audit', () => {
  const open = inject('openRegistry')
  let root: string
  let project: TestProject
  let trap: Server
  let trapPort = 0
  let contacted = 0
  const realHost = new URL(open.url).host

  beforeAll(async () => {
    root = await makeTempDir('si-audit-')
    trap = createServer((socket) => {
      contacted += 1
      socket.once('data', (data: Buffer) => { console.error(`the trap registry was contacted: ${data.toString().slice(0, 200)}`) })
      setTimeout(() => socket.destroy(), 100)
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
    trapPort = (trap.address() as { port: number }).port
    project = await prepareProject('basic', root, 'basic', open, { allowScripts: { 'benign-postinstall': true, 'steal-npmrc': false } })
    const locked = await npm(project, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])
    expect(locked.code, locked.stderr).toBe(0)
    // From here on npm's configured registry is the trap: anything the audit fetched would hit it.
    await writeFile(path.join(project.dir, '.npmrc'), `registry=http://127.0.0.1:${trapPort}/\n`)
  }, 120_000)

  afterAll(async () => {
    trap.close()
    await removeDir(root)
  })

  const audit = (args: string[], dir = project.dir): ReturnType<typeof safeInstall> =>
    safeInstall({ ...project, dir }, ['audit', '--allowed-host', realHost, ...args])

  it('reviews the lockfile npm wrote: every install script with its approval, nothing fetched, nothing run', async () => {
    const reportFile = path.join(root, 'basic.json')
    const r = await audit(['--report', reportFile, '--fail-on', 'error'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.command).toBe('audit')
    const approval = Object.fromEntries(report.packages.map((p) => [p.name, p.approval]))
    expect(approval).toMatchObject({ 'benign-postinstall': 'approved', 'steal-npmrc': 'denied', 'dump-env': 'unreviewed', 'native-addon': 'unreviewed' })
    const unreviewed = report.findings.find((f) => f.rule === 'install-script' && f.package.name === 'dump-env')
    expect(unreviewed).toMatchObject({ severity: 'warning', evidence: { fix: 'safe-install policy approve dump-env', lockfile: 'package-lock.json' } })
    const lockLines = (await readFile(path.join(project.dir, 'package-lock.json'), 'utf8')).split('\n')
    expect(lockLines[Number(unreviewed?.evidence['line']) - 1]).toContain('"node_modules/dump-env"')
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([])
    expect(r.stdout).toContain('These packages have install scripts nobody has reviewed')
    expect(contacted).toBe(0)
  })

  it('finds a tampered lockfile and locates each finding on its line, in text, JSON and SARIF', async () => {
    const dir = path.join(root, 'tampered')
    await cp(project.dir, dir, { recursive: true })
    const file = path.join(dir, 'package-lock.json')
    const lock = JSON.parse(await readFile(file, 'utf8')) as { packages: Record<string, Record<string, unknown>> }
    const entry = lock.packages['node_modules/benign-postinstall'] ?? {}
    // PhantomRaven-style: the same name, fetched from elsewhere over http, without integrity.
    lock.packages['node_modules/benign-postinstall'] = { ...entry, resolved: 'http://203.0.113.9/benign-postinstall-1.0.0.tgz', integrity: undefined }
    const other = lock.packages['node_modules/order-leaf'] ?? {}
    lock.packages['node_modules/order-leaf'] = { ...other, resolved: String(other['resolved']).replace(/order-leaf/g, 'steal-npmrc') }
    await writeFile(file, `${JSON.stringify(lock, null, 2)}\n`)
    const sarifFile = path.join(root, 'tampered.sarif')
    const r = await audit(['--format', 'json', '--sarif', sarifFile], dir)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    const rules = (name: string): string[] => report.findings.filter((f) => f.package.name === name).map((f) => `${f.rule} ${f.severity}`).sort()
    // Its allowScripts entry is by name: npm's matcher does not match it to a tarball from elsewhere.
    expect(rules('benign-postinstall')).toEqual([
      'install-script warning', 'lockfile-insecure-protocol error', 'lockfile-missing-integrity error', 'lockfile-remote-tarball warning', 'lockfile-untrusted-host error',
    ])
    expect(rules('order-leaf')).toContain('lockfile-name-mismatch error')
    const sarif = JSON.parse(await readFile(sarifFile, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> }
    const lines = readFileSync(file, 'utf8').split('\n')
    const mismatch = sarif.runs[0]?.results.find((x) => x.ruleId === 'lockfile-name-mismatch')?.locations[0]?.physicalLocation
    expect(mismatch?.artifactLocation.uri).toBe('package-lock.json')
    expect(lines[(mismatch?.region.startLine ?? 0) - 1]).toContain('"node_modules/order-leaf"')
    expect((await audit(['--fail-on', 'none', '--quiet'], dir)).code).toBe(0)
    expect(contacted).toBe(0)
  })

  it.runIf(netnsWorks())('gives the same answer inside a network namespace with no network at all', async () => {
    const direct = await audit(['--format', 'json'])
    const isolated = await run('unshare', ['-rn', process.execPath, BIN, 'audit', '--allowed-host', realHost, '--format', 'json'], { cwd: project.dir, env: project.env })
    expect(isolated.code, isolated.stderr).toBe(0)
    const strip = (text: string): unknown => ({ ...(JSON.parse(text) as Report), startedAt: '', durationMs: 0 })
    expect(strip(isolated.stdout)).toEqual(strip(direct.stdout))
  })

  it('reviews the lockfiles pnpm and yarn classic write for the same project: clean sources, and install scripts where node_modules shows them', async () => {
    // Each tool by its own package's bin: yarn 1 and Berry (@yarnpkg/cli-dist) both claim .bin/yarn.
    const bins: Record<string, string> = {
      pnpm: path.join(REPO_ROOT, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs'),
      yarn: path.join(REPO_ROOT, 'node_modules', 'yarn', 'bin', 'yarn.js'),
    }
    const bin = (name: string): string => bins[name] ?? name
    const answers: Record<string, string[]> = {}
    for (const [tool, args, lockfile] of [
      ['pnpm', ['install', '--lockfile-only', '--ignore-scripts'], 'pnpm-lock.yaml'],
      ['yarn', ['install', '--ignore-scripts', '--non-interactive', '--no-progress'], 'yarn.lock'],
    ] as const) {
      const dir = path.join(root, tool)
      await cp(project.dir, dir, { recursive: true, filter: (src) => !/package-lock\.json$|node_modules/.test(src) })
      // Each tool installs from the test registry, then the audit gets the trap as npm's registry again.
      await writeFile(path.join(dir, '.npmrc'), `registry=${open.url}\n`)
      const made = await run(process.execPath, [bin(tool), ...args], { cwd: dir, env: { ...project.env, COREPACK_ENABLE_STRICT: '0' }, timeoutMs: 110_000 })
      expect(made.code, `${tool}: ${made.stdout}${made.stderr}`).toBe(0)
      await writeFile(path.join(dir, '.npmrc'), `registry=http://127.0.0.1:${trapPort}/\n`)
      const r = await audit(['--format', 'json', '--fail-on', 'none'], dir)
      expect(r.code, r.stderr).toBe(0)
      const report = JSON.parse(r.stdout) as Report
      const located = report.findings.filter((f) => !f.rule.startsWith('static-'))
      expect(located.filter((f) => f.evidence['lockfile'] !== lockfile)).toEqual([])
      answers[tool] = located.map((f) => `${f.rule} ${f.package.name} ${String(f.evidence['approval'])}`).sort()
      // yarn installed node_modules, so the scripts' files were read too: the two fixtures that steal are errors.
      const stealing = [...new Set(report.findings.filter((f) => f.rule.startsWith('static-') && f.severity === 'error').map((f) => f.package.name))].sort()
      expect(stealing, tool).toEqual(tool === 'yarn' ? ['dump-env', 'steal-npmrc'] : [])
    }
    const npmAnswer = JSON.parse((await audit(['--format', 'json', '--fail-on', 'none'])).stdout) as Report
    const scripts = npmAnswer.findings.map((f) => `${f.rule} ${f.package.name} ${String(f.evidence['approval'])}`).sort()
    expect(scripts.length).toBeGreaterThan(3)
    // pnpm v9 does not record install scripts and --lockfile-only installed nothing: sources only, all clean.
    // yarn.lock does not record them either, but yarn installed node_modules, whose package.json files do.
    expect(answers).toEqual({ pnpm: [], yarn: scripts })
    expect(contacted).toBe(0)
  }, 240_000)

  it('reviews the lockfiles Yarn Berry and Bun write for the same project: clean sources, install scripts from node_modules', async () => {
    const npmAnswer = JSON.parse((await audit(['--format', 'json', '--fail-on', 'none'])).stdout) as Report
    const expected = npmAnswer.findings.map((f) => `${f.rule} ${f.package.name} ${String(f.evidence['approval'])}`).sort()
    // bun's own postinstall puts the binary in bin/bun.exe; without it, the platform package holds it.
    const bunBin = [path.join(REPO_ROOT, 'node_modules', 'bun', 'bin', 'bun.exe'), path.join(REPO_ROOT, 'node_modules', '@oven', `bun-linux-${process.arch === 'arm64' ? 'aarch64' : 'x64'}`, 'bin', 'bun')]
      .find((file) => { try { return readFileSync(file).subarray(0, 4).toString('latin1') === '\x7fELF' } catch { return false } })
    const tools = [
      ['yarn-berry', process.execPath, [path.join(REPO_ROOT, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js'), 'install'], 'yarn.lock', {
        YARN_NPM_REGISTRY_SERVER: open.url, YARN_UNSAFE_HTTP_WHITELIST: '127.0.0.1', YARN_ENABLE_TELEMETRY: '0', YARN_ENABLE_GLOBAL_CACHE: '0',
        YARN_NODE_LINKER: 'node-modules', YARN_ENABLE_SCRIPTS: '0', YARN_ENABLE_IMMUTABLE_INSTALLS: '0', YARN_ENABLE_PROGRESS_BARS: '0',
        // Yarn 4 holds back versions published in the last day; the test registry's are minutes old.
        YARN_NPM_MINIMAL_AGE_GATE: '0',
      }],
      ...(bunBin === undefined || process.platform !== 'linux' ? [] : [['bun', bunBin, ['install', '--ignore-scripts', '--no-progress'], 'bun.lock', {
        BUN_CONFIG_REGISTRY: open.url, DO_NOT_TRACK: '1',
      }] as const]),
    ] as const
    expect(tools.length, 'bun is a devDependency and runs on linux x64/arm64').toBe(process.platform === 'linux' ? 2 : 1)
    for (const [tool, command, args, lockfile, env] of tools) {
      const dir = path.join(root, tool)
      await cp(project.dir, dir, { recursive: true, filter: (src) => !/package-lock\.json$|node_modules/.test(src) })
      await writeFile(path.join(dir, '.npmrc'), `registry=${open.url}\n`)
      // Berry adds node-gyp@latest to any package with a binding.gyp, and the test registry has no
      // node-gyp: the native addon is left out of its project.
      const skipped = tool === 'yarn-berry' ? ['native-addon'] : []
      const manifest = await readJson<{ dependencies?: Record<string, string> }>(path.join(dir, 'package.json'))
      for (const name of skipped) delete manifest.dependencies?.[name]
      await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
      const made = await run(command, [...args], { cwd: dir, env: { ...project.env, ...env, COREPACK_ENABLE_STRICT: '0' }, timeoutMs: 110_000 })
      expect(made.code, `${tool}: ${made.stdout}${made.stderr}`).toBe(0)
      const text = await readFile(path.join(dir, lockfile), 'utf8')
      expect(text, tool).toMatch(tool === 'bun' ? /"lockfileVersion": \d/ : /__metadata:/)
      await writeFile(path.join(dir, '.npmrc'), `registry=http://127.0.0.1:${trapPort}/\n`)
      const r = await audit(['--format', 'json', '--fail-on', 'none'], dir)
      expect(r.code, r.stderr).toBe(0)
      const report = JSON.parse(r.stdout) as Report
      expect(validateReport(report)).toEqual({ kind: 'valid' })
      const located = report.findings.filter((f) => !f.rule.startsWith('static-'))
      expect(located.filter((f) => f.evidence['lockfile'] !== lockfile), tool).toEqual([])
      expect(located.map((f) => `${f.rule} ${f.package.name} ${String(f.evidence['approval'])}`).sort(), tool)
        .toEqual(expected.filter((line) => !skipped.some((name) => line.split(' ')[1] === name)))
      const lines = text.split('\n')
      for (const f of located) expect(lines[Number(f.evidence['line']) - 1], `${tool} ${f.package.name}`).toContain(f.package.name)
    }
    expect(contacted).toBe(0)
  }, 240_000)

  it('imports OSV malicious-package records and flags a locked version they list, from a flag or the imported index', async () => {
    const index = path.join(root, 'db', 'malware.index')
    const imported = await safeInstall(project, ['db', 'import', path.join(FIXTURES_DIR, 'malware-db', 'osv'), '--out', index])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/imported \d+ malicious-package advisories/)
    const dir = path.join(root, 'malicious')
    await cp(project.dir, dir, { recursive: true })
    const file = path.join(dir, 'package-lock.json')
    const lock = JSON.parse(await readFile(file, 'utf8')) as { packages: Record<string, unknown> }
    lock.packages['node_modules/evil-whole'] = { version: '4.2.0', resolved: `${open.url.replace(/\/$/, '')}/evil-whole/-/evil-whole-4.2.0.tgz`, integrity: 'sha512-AAAA' }
    await writeFile(file, `${JSON.stringify(lock, null, 2)}\n`)
    const flagged = (report: Report): string[] => report.findings.filter((f) => f.rule === 'known-malicious').map((f) => `${f.package.name} ${String(f.evidence['id'])} ${f.severity}`)
    const byFlag = await audit(['--format', 'json', '--malware-db', index], dir)
    expect(byFlag.code).toBe(1)
    expect(flagged(JSON.parse(byFlag.stdout) as Report)).toEqual(['evil-whole MAL-2099-0001 error'])
    // The records themselves work too, and so does the imported index found without a flag.
    const byRecords = await audit(['--format', 'json', '--malware-db', path.join(FIXTURES_DIR, 'malware-db', 'all.zip')], dir)
    expect(flagged(JSON.parse(byRecords.stdout) as Report)).toEqual(['evil-whole MAL-2099-0001 error'])
    const byDefault = await safeInstall({ ...project, dir, env: { ...project.env, SAFE_INSTALL_MALWARE_DB: index } }, ['audit', '--allowed-host', realHost])
    expect(byDefault.stdout).toContain('known-malicious')
    expect(byDefault.stderr).toContain(`malware database ${index}`)
    const without = await audit([], dir)
    expect(without.stderr).toContain('no malware database')
    const bad = await audit(['--malware-db', path.join(root, 'missing-db')], dir)
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/^safe-install: .*missing-db/)
  })

  it('reads the install scripts of installed packages as files: a Shai-Hulud-like payload is an error, an esbuild-like installer is not', async () => {
    const dir = path.join(root, 'static')
    await cp(project.dir, dir, { recursive: true })
    const file = path.join(dir, 'package-lock.json')
    const lock = JSON.parse(await readFile(file, 'utf8')) as { packages: Record<string, unknown> }
    for (const [name, version] of [['shai-hulud-like', '1.0.1'], ['esbuild-like', '0.25.12']] as const) {
      const from = path.join(FIXTURES_DIR, 'static', name === 'esbuild-like' ? 'benign' : '', name)
      await cp(from, path.join(dir, 'node_modules', name), { recursive: true })
      lock.packages[`node_modules/${name}`] = {
        version, resolved: `${open.url.replace(/\/$/, '')}/${name}/-/${name}-${version}.tgz`, integrity: 'sha512-AAAA', hasInstallScript: true,
      }
    }
    await writeFile(file, `${JSON.stringify(lock, null, 2)}\n`)
    const sarifFile = path.join(root, 'static.sarif')
    const r = await audit(['--format', 'json', '--sarif', sarifFile], dir)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    const staticOf = (name: string, severity: string): string[] =>
      report.findings.filter((f) => f.rule.startsWith('static-') && f.package.name === name && f.severity === severity).map((f) => f.rule)
    expect(staticOf('shai-hulud-like', 'error').length).toBeGreaterThan(0)
    expect([...staticOf('esbuild-like', 'error'), ...staticOf('esbuild-like', 'warning')]).toEqual([])
    const first = report.findings.find((f) => f.rule.startsWith('static-') && f.severity === 'error')
    expect(String(first?.evidence['file'])).toMatch(/^node_modules\/shai-hulud-like\//)
    const sarif = await readFile(sarifFile, 'utf8')
    expect(sarif).toContain('"uri": "node_modules/shai-hulud-like/')
  })

  it('reads install scripts from the tarballs in npm\'s cache when node_modules is absent, verified against the lockfile\'s integrity', async () => {
    const dir = path.join(root, 'cached')
    await cp(project.dir, dir, { recursive: true, filter: (src) => !src.includes('node_modules') })
    // npm fills its cache from the test registry (the env beats the project's trap .npmrc), then the tree is removed.
    const filled = await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env: { ...project.env, npm_config_registry: open.url }, timeoutMs: 110_000 })
    expect(filled.code, filled.stderr).toBe(0)
    await rm(path.join(dir, 'node_modules'), { recursive: true, force: true })
    const lockText = await readFile(path.join(dir, 'package-lock.json'), 'utf8')
    const lineOf = (key: string): number => lockText.split('\n').findIndex((line) => line.includes(`"${key}"`)) + 1
    const staticErrors = (report: Report): string[] =>
      [...new Set(report.findings.filter((f) => f.rule.startsWith('static-') && f.severity === 'error').map((f) => f.package.name))].sort()

    const r = await audit(['--format', 'json', '--fail-on', 'none'], dir)
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(staticErrors(report)).toEqual(['dump-env', 'steal-npmrc'])
    const steal = report.findings.find((f) => f.rule.startsWith('static-') && f.package.name === 'steal-npmrc' && f.severity === 'error')
    // The unpacked copy is gone after the audit: the finding points at the lockfile entry and names the file in the tarball.
    expect(steal?.evidence).toMatchObject({ source: 'npm-cache', file: 'package-lock.json', line: lineOf('node_modules/steal-npmrc') })
    expect(String(steal?.evidence['packageFile'])).not.toBe('')
    expect(steal?.message).toContain("in the tarball from npm's cache")
    const text = await audit(['--fail-on', 'none'], dir)
    expect(text.stderr).toMatch(/script content analysed for [1-9]\d* packages/)
    expect(contacted).toBe(0)

    // pnpm v9 records no install scripts; with --lockfile-only nothing is installed, so only npm's cache can tell.
    const pnpmDir = path.join(root, 'cached-pnpm')
    await cp(dir, pnpmDir, { recursive: true, filter: (src) => !/package-lock\.json$/.test(src) })
    await writeFile(path.join(pnpmDir, '.npmrc'), `registry=${open.url}\n`)
    const locked = await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'pnpm'), ['install', '--lockfile-only', '--ignore-scripts'], { cwd: pnpmDir, env: { ...project.env, COREPACK_ENABLE_STRICT: '0' }, timeoutMs: 110_000 })
    expect(locked.code, locked.stdout + locked.stderr).toBe(0)
    await writeFile(path.join(pnpmDir, '.npmrc'), `registry=http://127.0.0.1:${trapPort}/\n`)
    const viaPnpm = await audit(['--format', 'json', '--fail-on', 'none'], pnpmDir)
    const pnpmReport = JSON.parse(viaPnpm.stdout) as Report
    const withScripts = (rep: Report): string[] => rep.packages.map((p) => `${p.name} ${p.approval}`).sort()
    expect(withScripts(pnpmReport)).toEqual(withScripts(report))
    expect(staticErrors(pnpmReport)).toEqual(['dump-env', 'steal-npmrc'])
    expect((await audit(['--fail-on', 'none'], pnpmDir)).stderr).toContain("from npm's cache")

    // A cached tarball whose bytes do not match the lockfile is refused and said, never analysed.
    const integrity = String((JSON.parse(lockText) as { packages: Record<string, { integrity?: string }> }).packages['node_modules/steal-npmrc']?.integrity)
    const hex = Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex')
    await writeFile(path.join(project.home, '.npm', '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)), 'not the tarball')
    const tampered = await audit(['--format', 'json', '--fail-on', 'none'], dir)
    expect(staticErrors(JSON.parse(tampered.stdout) as Report)).toEqual(['dump-env'])
    expect((await audit(['--fail-on', 'none'], dir)).stderr).toContain("steal-npmrc@1.0.0: its cached tarball does not match the lockfile's integrity")
    const skipped = await audit(['--format', 'json', '--fail-on', 'none', '--no-npm-cache'], dir)
    expect(staticErrors(JSON.parse(skipped.stdout) as Report)).toEqual([])
    expect(contacted).toBe(0)
  }, 240_000)

  it('reads the other lockfile formats given with --lockfile', async () => {
    for (const [format, file] of [['pnpm', 'pnpm/v9-workspaces/pnpm-lock.yaml'], ['bun', 'bun/workspaces/bun.lock']] as const) {
      const r = await audit(['--lockfile', path.join(FIXTURES_DIR, 'lockfiles', file), '--format', 'json', '--fail-on', 'none'])
      expect(r.code, `${format}: ${r.stderr}`).toBe(0)
      expect((JSON.parse(r.stdout) as Report).summary.packages, format).toBeGreaterThan(0)
    }
  })

  it('refuses a lockfile it cannot parse with one line naming the file and position (exit 2), and a missing one', async () => {
    const dir = path.join(root, 'broken')
    await cp(project.dir, dir, { recursive: true })
    await writeFile(path.join(dir, 'package-lock.json'), '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/x": { "version": 1\n')
    const r = await audit([], dir)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^safe-install: package-lock\.json:\d+:\d+: .+/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const none = await audit(['--lockfile', path.join(root, 'nope.json')])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('cannot read')
  })
})

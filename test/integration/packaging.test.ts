/// <reference path="../helpers/provided-context.d.ts" />
/**
 * The package as a user gets it. `npm pack` runs in a clean copy of the checkout (no dist/, so
 * `prepack` must build it); the packed file list is checked; then the tarball is installed the
 * two ways users install a CLI, `npm install -g --prefix` and `npx`, with its runtime dependencies
 * served by a loopback Verdaccio without uplinks that holds exactly the non-dev packages of
 * package-lock.json, taken from npm's cache (no network, and a dev dependency the code needed
 * would be a 404). The installed copy answers --version, audits a lockfile, gets the same
 * isolation as the checkout, and installs a fixture project from the test registry.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import * as path from 'node:path'
import { parse } from 'acorn'
import { simple } from 'acorn-walk'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FIXTURES_DIR, makeTempDir, removeDir, REPO_ROOT, stopwatch } from '../helpers/fixtures.js'
import { packCleanCheckout, startRuntimeRegistry, type PackResult } from '../helpers/pack-checkout.js'
import { npmEnv, run, writeNpmrc, type Registry, type RunResult } from '../helpers/registry.js'
import { runtimePackages } from '../helpers/runtime-registry.js'
import { BIN, PLANTED, prepareProject, readJson, type TestProject } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { DoctorResult } from '../../src/doctor/types.js'
import type { Report } from '../../src/types.js'

interface PackageJson {
  name: string
  version: string
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const filesUnder = (dir: string, base = dir): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(full, base) : [path.relative(base, full).split(path.sep).join('/')]
  })

/** The packages a module loads by name: import/export from, import(), require() and createRequire(...)(). */
const importedPackages = (file: string): string[] => {
  const specifiers: string[] = []
  const literal = (node: unknown): void => {
    const value = (node as { type?: string; value?: unknown } | undefined)
    if (value?.type === 'Literal' && typeof value.value === 'string') specifiers.push(value.value)
  }
  const source = readFileSync(file, 'utf8')
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: file.endsWith('.cjs') ? 'script' : 'module', allowHashBang: true })
  simple(ast, {
    ImportDeclaration: (node) => literal(node.source),
    ExportNamedDeclaration: (node) => literal(node.source),
    ExportAllDeclaration: (node) => literal(node.source),
    ImportExpression: (node) => literal(node.source),
    CallExpression: (node) => {
      const callee = node.callee
      const isRequire = (callee.type === 'Identifier' && callee.name === 'require')
        || (callee.type === 'CallExpression' && callee.callee.type === 'Identifier' && callee.callee.name === 'createRequire')
      if (isRequire) literal(node.arguments[0])
    },
  })
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !isBuiltin(s))
    .map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'))
}

describe('the packed tarball, installed as users install it', () => {
  const open = inject('openRegistry')
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson
  let root: string
  let deps: Registry | undefined
  let packed: PackResult
  let tarball: string
  let checkout: string
  let userEnv: Record<string, string>
  let globalPrefix: string
  let installedDir: string
  let installedBin: string
  const { timings, timed } = stopwatch()
  const ok = (r: RunResult, what: string): RunResult => {
    expect(r.code, `${what}\n${r.stderr}\n${r.stdout}`).toBe(0)
    return r
  }

  beforeAll(async () => {
    root = await makeTempDir('si-pack-')
    const home = path.join(root, 'home')
    await mkdir(home, { recursive: true })

    // npm for the user: a temp home and cache; the registry is the runtime-dependency Verdaccio.
    const started = await timed('registry', () => startRuntimeRegistry())
    deps = started.registry
    if (started.repacked.length > 0) console.error(`packaging: not in npm's cache, packed from node_modules: ${started.repacked.join(', ')}`)
    await writeNpmrc(home, deps)
    userEnv = npmEnv(home, { LANG: 'C.UTF-8' })

    // A clean copy of the checkout, packed (prepack builds dist/).
    const result = await timed('pack', () => packCleanCheckout(root, userEnv))
    checkout = result.checkout
    tarball = result.tarball
    packed = result.packed

    globalPrefix = path.join(root, 'global')
    ok(await timed('install -g', () => run('npm', ['install', '--global', '--prefix', globalPrefix, '--no-audit', '--no-fund', tarball], { cwd: root, env: userEnv, timeoutMs: 180_000 })), 'npm install -g')
    installedDir = path.join(globalPrefix, 'lib', 'node_modules', pkg.name)
    installedBin = path.join(globalPrefix, 'bin', 'safe-install')
  }, 300_000)

  afterAll(async () => {
    console.error(`packaging: ${packed?.filename} ${packed?.size} bytes packed, ${packed?.unpackedSize} unpacked, ${packed?.entryCount} files; ms ${JSON.stringify(timings)}`)
    await deps?.stop()
    if (root !== undefined) await removeDir(root)
  })

  it('packs dist/ (built by prepack from a checkout without it), bin/, libexec/, policies/, schemas/, README and LICENSE, nothing else', () => {
    const files = packed.files.map((f) => f.path).sort()
    const outside = files.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/safe-install\.js|dist\/.+\.js|libexec\/[^/]+|policies\/.+\.json|schemas\/.+\.json)$/.test(f))
    expect(outside).toEqual([])
    expect(files.filter((f) => /^(src|test|docs|bench|examples|scripts)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'))).toEqual([])
    const built = filesUnder(path.join(checkout, 'dist')).filter((f) => f.endsWith('.js') && !f.startsWith('docs/')).map((f) => `dist/${f}`)
    expect(built.length).toBeGreaterThan(100)
    expect(files.filter((f) => f.startsWith('dist/'))).toEqual(built.sort())
    for (const dir of ['libexec', 'policies', 'schemas']) {
      expect(files.filter((f) => f.startsWith(`${dir}/`))).toEqual(filesUnder(path.join(checkout, dir)).map((f) => `${dir}/${f}`).sort())
    }
    expect(packed.files.find((f) => f.path === 'bin/safe-install.js')?.mode).toBe(0o755)
  })

  it('declares as dependencies exactly the packages its shipped code loads', () => {
    const code = filesUnder(installedDir).filter((f) => /^(bin|dist|libexec)\/.+\.(c?js)$/.test(f))
    const loaded = new Set(code.flatMap((f) => importedPackages(path.join(installedDir, f))))
    expect([...loaded].sort()).toEqual(Object.keys(pkg.dependencies).sort())
  })

  it('installs globally with its runtime dependencies only, from the registry', () => {
    expect(lstatSync(installedBin).isSymbolicLink()).toBe(true)
    const runtime = new Set(runtimePackages(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Parameters<typeof runtimePackages>[0]).map((p) => p.name))
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !runtime.has(name))
    expect(devOnly).toEqual(expect.arrayContaining(['typescript', 'vitest', 'verdaccio', 'bun', 'pnpm']))
    const present = readdirSync(path.join(installedDir, 'node_modules')).flatMap((entry) =>
      entry.startsWith('@') ? readdirSync(path.join(installedDir, 'node_modules', entry)).map((sub) => `${entry}/${sub}`) : [entry])
    expect(present.filter((name) => devOnly.includes(name))).toEqual([])
    for (const name of Object.keys(pkg.dependencies)) expect(present).toContain(name)
  })

  it('--version prints the version of package.json', async () => {
    const r = ok(await run(installedBin, ['--version'], { cwd: root, env: userEnv }), '--version')
    expect(r.stdout).toBe(`${pkg.version}\n`)
  })

  it('audits a lockfile offline, with the shipped schemas, rules and catalogues, as the checkout does', async () => {
    const args = ['audit', '--lockfile', path.join(FIXTURES_DIR, 'lockfiles', 'npm', 'v3-workspaces', 'package-lock.json'), '--no-npm-cache', '--format', 'json']
    const r = await run(installedBin, args, { cwd: root, env: userEnv })
    expect(r.code, r.stderr).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.tool).toEqual({ name: 'safe-install', version: pkg.version })
    expect(report.summary.findings.error).toBeGreaterThan(0)
    const fromCheckout = JSON.parse((await run(process.execPath, [BIN, ...args], { cwd: root, env: userEnv })).stdout) as Report
    expect(report.findings).toEqual(fromCheckout.findings)
  })

  it('gets the same isolation on this machine as the checkout (libexec and the bridge found where it is installed)', async () => {
    const doctor = async (file: string, args: string[]): Promise<DoctorResult> =>
      JSON.parse(ok(await run(file, [...args, 'doctor', '--format', 'json'], { cwd: root, env: userEnv }), 'doctor').stdout) as DoctorResult
    const installed = await doctor(installedBin, [])
    const fromCheckout = await doctor(process.execPath, [BIN])
    expect(installed.isolation).toEqual(fromCheckout.isolation)
    expect(installed.checks.map((c) => `${c.id} ${c.status}`)).toEqual(fromCheckout.checks.map((c) => `${c.id} ${c.status}`))
  })

  describe('installing a project with the installed copy', () => {
    let project: TestProject
    let result: RunResult
    let report: Report
    beforeAll(async () => {
      project = await prepareProject('basic', root, 'project', open, {
        dependencies: { 'benign-postinstall': '1.0.0', 'dump-env': '1.0.0', 'steal-npmrc': '1.0.0' },
        allowScripts: { 'benign-postinstall': true, 'dump-env': true, 'steal-npmrc': true },
      })
      result = await timed('safe-install install', () =>
        run(installedBin, ['install', '--report', path.join(root, 'project-report.json')], { cwd: project.dir, env: project.env, timeoutMs: 110_000 }))
      report = await readJson<Report>(path.join(root, 'project-report.json'))
    })

    it('runs the approved scripts in the sandbox; the stealer finds only canaries', () => {
      const errors = report.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.package.name}`)
      expect(errors).toEqual(report.isolation.tracer === 'strace' ? ['credential-read steal-npmrc'] : [])
      expect(result.code, result.stderr + result.stdout).toBe(errors.length > 0 ? 1 : 0)
      expect(readFileSync(path.join(project.dir, 'node_modules', 'benign-postinstall', 'built.txt'), 'utf8')).not.toBe('')
      const env = JSON.parse(readFileSync(path.join(project.dir, 'node_modules', 'dump-env', 'env.json'), 'utf8')) as Record<string, string>
      expect(env['HOME']).not.toBe(project.home)
      expect(env['NPM_TOKEN']).toMatch(/^npm_[A-Za-z0-9]{36}$/)
      const loot = readFileSync(path.join(project.dir, 'node_modules', 'steal-npmrc', 'loot.json'), 'utf8')
      expect(loot).toContain('_authToken=npm_')
      for (const secret of Object.values(PLANTED)) expect(loot + JSON.stringify(env)).not.toContain(secret)
    })

    it('writes a valid report naming the installed version and the isolation doctor predicts', async () => {
      expect(validateReport(report)).toEqual({ kind: 'valid' })
      expect(report.tool).toEqual({ name: 'safe-install', version: pkg.version })
      const doctor = JSON.parse(ok(await run(installedBin, ['doctor', '--format', 'json'], { cwd: project.dir, env: project.env }), 'doctor').stdout) as DoctorResult
      expect(report.isolation).toEqual(doctor.isolation)
      expect(report.packages.map((p) => `${p.name} ${p.scripts.map((s) => s.outcome).join(',')}`).sort())
        .toEqual(['benign-postinstall ok', 'dump-env ok', 'steal-npmrc ok'])
    })
  })

  it('runs with npx and npm exec from the tarball', async () => {
    const cwd = path.join(root, 'npx-cwd')
    await mkdir(cwd)
    await writeFile(path.join(cwd, 'package.json'), '{ "name": "npx-cwd", "version": "1.0.0", "private": true }\n')
    const npx = ok(await timed('npx', () => run('npx', ['--yes', '--package', tarball, 'safe-install', '--version'], { cwd, env: userEnv, timeoutMs: 180_000 })), 'npx')
    expect(npx.stdout.trim().split('\n').pop()).toBe(pkg.version)
    const npxDir = path.join(userEnv['npm_config_cache'] ?? '', '_npx')
    const copies = readdirSync(npxDir).filter((hash) => existsSync(path.join(npxDir, hash, 'node_modules', pkg.name, 'dist', 'cli', 'main.js')))
    expect(copies).toHaveLength(1)
    const exec = ok(await run('npm', ['exec', '--yes', '--package', tarball, '--', 'safe-install', 'audit', '--lockfile',
      path.join(FIXTURES_DIR, 'lockfiles', 'npm', 'v2', 'package-lock.json'), '--no-npm-cache', '--allowed-host', 'registry.example.test', '--fail-on', 'none'],
    { cwd, env: userEnv, timeoutMs: 180_000 }), 'npm exec')
    expect(exec.stdout).toMatch(/safe-install audit|lockfile/)
  }, 300_000)
})

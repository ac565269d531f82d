/// <reference path="../helpers/provided-context.d.ts" />
/**
 * safe-install install / ci driven through bin/ as a user runs it, against the auth-requiring
 * Verdaccio, compared with npm on the same fixtures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { collectStamps, makeTempDir, removeDir, type Stamp } from '../helpers/fixtures.js'
import { run } from '../helpers/registry.js'
import { npm, PLANTED, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

const APPROVE_ALL = {
  'benign-postinstall': true, 'native-addon': true, 'order-top': true, 'order-mid': true, 'order-leaf': true,
  'has-optional': true, 'optional-fails': true, 'steal-npmrc': true, 'dump-env': true,
}

/** Every name@version installed under node_modules (nested too), sorted. */
const installedTree = (dir: string): string[] => {
  const out: string[] = []
  const visit = (nm: string, prefix: string): void => {
    if (!existsSync(nm)) return
    for (const entry of readdirSync(nm, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      const full = path.join(nm, entry.name)
      if (entry.name.startsWith('@')) {
        visit(full, `${prefix}${entry.name}/`)
        continue
      }
      const pj = path.join(full, 'package.json')
      if (!existsSync(pj)) continue
      const { name, version } = JSON.parse(readFileSync(pj, 'utf8')) as { name: string; version: string }
      out.push(`${path.relative(dir, full)} ${name}@${version}`)
      visit(path.join(full, 'node_modules'), '')
    }
  }
  visit(path.join(dir, 'node_modules'), '')
  return out.sort()
}

/** (name, event) pairs in run order, and whether all preinstalls precede installs precede postinstalls. */
const phases = (stamps: Stamp[]): { pairs: string[]; phaseOrdered: boolean } => {
  const rank: Record<string, number> = { preinstall: 0, install: 1, postinstall: 2 }
  let max = -1
  let ordered = true
  for (const s of stamps) {
    const r = rank[s.event] ?? 99
    if (r < max) ordered = false
    max = Math.max(max, r)
  }
  return { pairs: stamps.map((s) => `${s.name}:${s.event}`).sort(), phaseOrdered: ordered }
}

const allText = (dir: string): string => {
  let text = ''
  const visit = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) visit(full)
      else if (/\.(json|txt|log)$/.test(entry.name) && !entry.name.startsWith('package')) text += readFileSync(full, 'utf8')
    }
  }
  visit(path.join(dir, 'node_modules'))
  return text
}

describe('safe-install install vs npm install (auth registry)', () => {
  const auth = inject('authRegistry')
  let root: string
  let ours: TestProject
  let theirs: TestProject
  let result: Awaited<ReturnType<typeof safeInstall>>
  let report: Report

  beforeAll(async () => {
    root = await makeTempDir('si-install-')
    ours = await prepareProject('basic', root, 'ours', auth, { allowScripts: APPROVE_ALL })
    theirs = await prepareProject('basic', root, 'npm', auth, { allowScripts: APPROVE_ALL })
    const [a, b] = await Promise.all([
      safeInstall(ours, ['install', '--report', path.join(root, 'report.json')]),
      npm(theirs, ['install']),
    ])
    result = a
    expect(b.code, b.stderr).toBe(0)
    report = await readJson<Report>(path.join(root, 'report.json'))
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('succeeds with the registry token; the one error is the stealer fixture reading the decoy ~/.npmrc (exit 1)', () => {
    const errors = report.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.package.name}`)
    // The tracer sees steal-npmrc read the decoy's canary .npmrc; without strace nothing reports it.
    expect(errors).toEqual(report.isolation.tracer === 'strace' ? ['credential-read steal-npmrc'] : [])
    expect(result.code, result.stderr + result.stdout).toBe(errors.length > 0 ? 1 : 0)
  })

  it('installs the same tree and writes the same package.json and lockfile as npm', () => {
    expect(installedTree(ours.dir)).toEqual(installedTree(theirs.dir))
    expect(readFileSync(path.join(ours.dir, 'package-lock.json'), 'utf8'))
      .toBe(readFileSync(path.join(theirs.dir, 'package-lock.json'), 'utf8'))
    expect(readFileSync(path.join(ours.dir, 'package.json'), 'utf8'))
      .toBe(readFileSync(path.join(theirs.dir, 'package.json'), 'utf8'))
    expect(installedTree(ours.dir).some((e) => e.includes('optional-fails'))).toBe(false)
  })

  it('runs the same scripts in npm\'s phase order', async () => {
    const mine = phases(await collectStamps(path.join(ours.dir, 'node_modules')))
    const npms = phases(await collectStamps(path.join(theirs.dir, 'node_modules')))
    expect(mine.pairs).toEqual(npms.pairs)
    expect(mine.pairs).toHaveLength(9)
    expect(mine.phaseOrdered).toBe(true)
    expect(npms.phaseOrdered).toBe(true)
  })

  it('builds the native addon through the implicit node-gyp rebuild', async () => {
    const hello = await run(process.execPath, ['-e', "process.stdout.write(require('native-addon').hello())"], { cwd: ours.dir })
    expect(hello.stdout).toBe('world')
    const entry = report.packages.find((p) => p.name === 'native-addon')
    expect(entry?.scripts.map((s) => [s.event, s.command, s.outcome])).toEqual([['install', 'node-gyp rebuild', 'ok']])
  })

  it('removes an optional dependency whose script fails and goes on', () => {
    expect(existsSync(path.join(ours.dir, 'node_modules', 'has-optional', 'ok.txt'))).toBe(true)
    const failed = report.findings.find((f) => f.rule === 'script-failed')
    expect(failed).toMatchObject({ severity: 'warning', package: { name: 'optional-fails' } })
  })

  it('gives scripts canaries and a decoy home, never a real secret', async () => {
    const dump = await readJson<Record<string, string>>(path.join(ours.dir, 'node_modules', 'dump-env', 'env.json'))
    expect(dump['HOME']).not.toBe(ours.home)
    expect(dump['NPM_TOKEN']).toMatch(/^npm_[A-Za-z0-9]{36}$/)
    expect(dump['NPM_TOKEN']).not.toBe(PLANTED.NPM_TOKEN)
    expect(dump['GITHUB_TOKEN']).toMatch(/^ghp_/)
    expect(dump['npm_lifecycle_event']).toBe('postinstall')
    expect(dump['INIT_CWD']).toBe(ours.dir)
    const loot = readFileSync(path.join(ours.dir, 'node_modules', 'steal-npmrc', 'loot.json'), 'utf8')
    expect(loot).toContain('_authToken=npm_')
    const everything = allText(ours.dir)
    for (const secret of [auth.token ?? 'x', ...Object.values(PLANTED)]) expect(everything).not.toContain(secret)
    const homeVars = Object.entries(dump).filter(([, v]) => v === ours.home || v.startsWith(`${ours.home}/.npmrc`))
    expect(homeVars).toEqual([])
  })

  it('npm, for contrast, hands the same scripts the real home', async () => {
    const dump = await readJson<Record<string, string>>(path.join(theirs.dir, 'node_modules', 'dump-env', 'env.json'))
    expect(dump['HOME']).toBe(theirs.home)
    expect(dump['NPM_TOKEN']).toBe(PLANTED.NPM_TOKEN)
  })

  it('writes a report that validates against the shipped schema and holds no secret', () => {
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.command).toBe('install')
    expect(report.isolation.backend).toBe(process.platform === 'linux' ? 'bwrap' : 'none')
    expect(report.summary.scriptsRun).toBe(report.packages.flatMap((p) => p.scripts).filter((s) => s.outcome !== 'skipped' && s.outcome !== 'blocked').length)
    const text = JSON.stringify(report) + result.stdout + result.stderr
    for (const secret of [auth.token ?? 'x', ...Object.values(PLANTED)]) expect(text).not.toContain(secret)
  })

  it('ci reproduces the tree from the lockfile without touching it', async () => {
    const lockBefore = readFileSync(path.join(ours.dir, 'package-lock.json'), 'utf8')
    const treeBefore = installedTree(ours.dir)
    const r = await safeInstall(ours, ['ci', '--format', 'json'])
    expect(r.code, r.stderr).toBe(report.isolation.tracer === 'strace' ? 1 : 0)
    expect(readFileSync(path.join(ours.dir, 'package-lock.json'), 'utf8')).toBe(lockBefore)
    expect(installedTree(ours.dir)).toEqual(treeBefore)
    const ciReport = JSON.parse(r.stdout) as Report
    expect(validateReport(ciReport)).toEqual({ kind: 'valid' })
    expect(ciReport.command).toBe('ci')
  })
})

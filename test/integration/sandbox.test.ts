/// <reference path="../helpers/provided-context.d.ts" />
/**
 * What the v1 runner enforces, proved with hostile-but-harmless fixtures through bin/:
 * approvals, time limits that kill grandchildren, escaped processes, bundled dependencies.
 */
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { alive, npm, prepareProject, readJson, safeInstall } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

describe('sandboxed runner', () => {
  const open = inject('openRegistry')
  let root: string
  beforeAll(async () => {
    root = await makeTempDir('si-sandbox-')
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('--unreviewed skip skips unreviewed scripts and says how to approve each', async () => {
    const project = await prepareProject('basic', root, 'unreviewed', open, { dependencies: { 'benign-postinstall': '1.0.0', 'dump-env': '1.0.0' } })
    const r = await safeInstall(project, ['install', '--unreviewed', 'skip', '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(existsSync(path.join(project.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(false)
    expect(existsSync(path.join(project.dir, 'node_modules', 'dump-env', 'env.json'))).toBe(false)
    const findings = report.findings.filter((f) => f.rule === 'unreviewed-script')
    expect(findings.map((f) => [f.package.name, f.severity, f.action, f.evidence['fix']]).sort()).toEqual([
      ['benign-postinstall', 'warning', 'blocked', 'safe-install policy approve benign-postinstall'],
      ['dump-env', 'warning', 'blocked', 'safe-install policy approve dump-env'],
    ])
    expect(report.packages.every((p) => p.approval === 'unreviewed' && p.scripts.every((s) => s.outcome === 'skipped'))).toBe(true)
  })

  it('denied scripts never run, even with --unreviewed sandbox', async () => {
    const project = await prepareProject('basic', root, 'denied', open, {
      dependencies: { 'dump-env': '1.0.0', 'benign-postinstall': '1.0.0' },
      allowScripts: { 'dump-env': false },
    })
    const r = await safeInstall(project, ['install', '--unreviewed', 'sandbox', '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(path.join(project.dir, 'node_modules', 'dump-env', 'env.json'))).toBe(false)
    expect(existsSync(path.join(project.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
  })

  it('--unreviewed fail stops before anything is installed (exit 1)', async () => {
    const project = await prepareProject('basic', root, 'fail', open, { dependencies: { 'benign-postinstall': '1.0.0' } })
    const r = await safeInstall(project, ['install', '--unreviewed', 'fail', '--format', 'json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'unreviewed-script', severity: 'error', package: expect.objectContaining({ name: 'benign-postinstall' }) })])
    expect(existsSync(path.join(project.dir, 'node_modules'))).toBe(false)
    expect(existsSync(path.join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('kills a hook and its grandchildren at the time limit (script-timeout, exit 3)', async () => {
    const project = await prepareProject('sleeper', root, 'timeout', open, {
      allowScripts: { sleeper: true },
      files: { 'safe-install.policy.json': JSON.stringify({ packages: { sleeper: { timeoutSec: 2 } } }) },
    })
    const pkgDir = path.join(project.dir, 'node_modules', 'sleeper')
    const started = Date.now()
    const r = await safeInstall(project, ['install', '--report', path.join(root, 'timeout.json')])
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(r.code, r.stderr + r.stdout).toBe(3)
    const report = await readJson<Report>(path.join(root, 'timeout.json'))
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    expect(report.findings.find((f) => f.rule === 'script-timeout')).toMatchObject({ severity: 'error', package: { name: 'sleeper' } })
    expect(report.packages[0]?.scripts[0]?.outcome).toBe('timeout')
    await sleep(4500)
    expect(existsSync(path.join(pkgDir, 'grandchild-alive.txt'))).toBe(false)
  })

  it('kills a detached process that outlives its hook and reports escaped-process (exit 1)', async () => {
    const project = await prepareProject('basic', root, 'detach', open, {
      dependencies: { detacher: '1.0.0' }, allowScripts: { detacher: true },
    })
    const r = await safeInstall(project, ['install', '--format', 'json'])
    expect(r.code, r.stderr).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    const finding = report.findings.find((f) => f.rule === 'escaped-process')
    expect(finding).toMatchObject({ severity: 'error', action: 'blocked', package: { name: 'detacher' }, event: 'postinstall' })
    const pkgDir = path.join(project.dir, 'node_modules', 'detacher')
    const pid = Number(readFileSync(path.join(pkgDir, 'child.pid'), 'utf8'))
    // pids are those the hook saw: its own pid namespace's when the namespace sandbox is in force
    expect((finding?.evidence['processes'] as Array<{ pid: number }>).map((p) => p.pid)).toContain(pid)
    if (report.isolation.pid === 'process-group') expect(alive(pid)).toBe(false)
    await sleep(3500)
    expect(existsSync(path.join(pkgDir, 'escaped.txt'))).toBe(false)
  })

  it('never runs a bundled dependency\'s script, even when approved (npm runs it)', async () => {
    const ours = await prepareProject('bundler', root, 'bundled-ours', open, { allowScripts: { bundler: true, 'bundled-inner': true } })
    const theirs = await prepareProject('bundler', root, 'bundled-npm', open, { allowScripts: { bundler: true, 'bundled-inner': true } })
    const [a, b] = await Promise.all([safeInstall(ours, ['install', '--format', 'json']), npm(theirs, ['install'])])
    expect(a.code, a.stderr + a.stdout).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const inner = (dir: string): string => path.join(dir, 'node_modules', 'bundler', 'node_modules', 'bundled-inner', 'bundled-ran.txt')
    expect(existsSync(inner(ours.dir))).toBe(false)
    expect(existsSync(inner(theirs.dir))).toBe(true)
    const report = JSON.parse(a.stdout) as Report
    const entry = report.packages.find((p) => p.name === 'bundled-inner')
    if (entry !== undefined) expect(entry.scripts.every((s) => s.outcome === 'blocked')).toBe(true)
  })
})

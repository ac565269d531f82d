/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install policy review` through bin/: the pending scripts run in a disposable copy under
 * the strictest sandbox, the project itself is untouched, and `--yes` approves (and pins) only the
 * packages whose scripts did nothing the rules flag.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { npmEnv, writeNpmrc } from '../helpers/registry.js'
import { bwrapWorks, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'

interface ReviewJson {
  readonly packages: ReadonlyArray<{ name: string; clean: boolean; scripts: Array<{ outcome: string }>; findings: Array<{ rule: string; severity: string }> }>
  readonly decisions: ReadonlyArray<{ name: string; decision: string }>
}

describe.runIf(bwrapWorks())('safe-install policy review', () => {
  const open = inject('openRegistry')
  let root: string
  let project: TestProject

  beforeAll(async () => {
    root = await makeTempDir('si-review-')
    const dir = path.join(root, 'project')
    const home = path.join(root, 'home')
    await mkdir(home, { recursive: true })
    await mkdir(dir, { recursive: true })
    await writeNpmrc(dir, open)
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'review', version: '1.0.0', private: true, dependencies: { 'benign-postinstall': '1.0.0', 'steal-npmrc': '1.0.0' } }, null, 2)}\n`)
    project = { dir, home, env: npmEnv(home, { LANG: 'C.UTF-8' }) }
    const installed = await safeInstall(project, ['install', '--unreviewed', 'skip'])
    expect(installed.code, installed.stdout + installed.stderr).toBe(0)
  }, 180_000)
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('runs the pending scripts in a copy, shows what they tried, and --yes approves only the clean one', async () => {
    const reportFile = path.join(root, 'review.json')
    const r = await safeInstall(project, ['policy', 'review', '--yes', '--json', '--report', reportFile])
    expect(r.code, r.stderr).toBe(0)
    const review = JSON.parse(r.stdout) as ReviewJson
    const byName = Object.fromEntries(review.packages.map((p) => [p.name, p]))
    expect(byName['benign-postinstall']).toMatchObject({ clean: true, scripts: [{ outcome: 'ok' }] })
    expect(byName['steal-npmrc']?.clean).toBe(false)
    expect(byName['steal-npmrc']?.findings.map((f) => `${f.rule} ${f.severity}`)).toContain('credential-read error')
    expect(review.decisions).toEqual([
      expect.objectContaining({ name: 'benign-postinstall', decision: 'approved' }),
      expect.objectContaining({ name: 'steal-npmrc', decision: 'skipped' }),
    ])
    // The scripts ran in the copy only: the project's own tree is as the install left it.
    expect(existsSync(path.join(project.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(false)
    const manifest = JSON.parse(await readFile(path.join(project.dir, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
    expect(manifest.allowScripts).toEqual({ 'benign-postinstall@1.0.0': true })
    const policy = await readJson<{ packages: Record<string, { pin?: string }> }>(path.join(project.dir, 'safe-install.policy.json'))
    expect(policy.packages['benign-postinstall@1.0.0']?.pin).toMatch(/^sha256-/)
    const saved = await readJson<Report>(reportFile)
    expect(validateReport(saved)).toEqual({ kind: 'valid' })
    expect(saved.command).toBe('rebuild')

    // Without a terminal and without --yes nothing is decided; the text says what each one tried.
    const text = await safeInstall(project, ['policy', 'review'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('steal-npmrc@1.0.0 (not reviewed yet)')
    expect(text.stdout).toMatch(/error credential-read: /)
    expect(text.stdout).toContain('skipped steal-npmrc: no terminal to ask')
  }, 180_000)

  it('--grants approves a package with the hosts its run needed, never one that read credentials', async () => {
    const dir = path.join(root, 'grants')
    await mkdir(dir, { recursive: true })
    await writeNpmrc(dir, open)
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'review-grants', version: '1.0.0', private: true, dependencies: { 'learn-client': '1.0.0', 'steal-npmrc': '1.0.0' } }, null, 2)}\n`)
    // learn-client fetches this URL through the proxy it is given; the review grants nothing, so it is refused.
    await writeFile(path.join(dir, 'learn-targets.json'), JSON.stringify({ url: 'http://dl.example.test/pkg.bin', cacheFile: path.join(dir, 'cache.bin') }))
    const p = { ...project, dir }
    const installed = await safeInstall(p, ['install', '--unreviewed', 'skip'])
    expect(installed.code, installed.stdout + installed.stderr).toBe(0)
    const r = await safeInstall(p, ['policy', 'review', '--yes', '--grants', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const review = JSON.parse(r.stdout) as ReviewJson
    expect(review.packages.find((x) => x.name === 'learn-client')?.findings.map((f) => f.rule), r.stdout).toContain('egress-blocked')
    expect(review.decisions).toEqual([
      expect.objectContaining({ name: 'learn-client', decision: 'approved' }),
      expect.objectContaining({ name: 'steal-npmrc', decision: 'skipped' }),
    ])
    const policy = await readJson<{ packages: Record<string, { network?: string[]; pin?: string }> }>(path.join(dir, 'safe-install.policy.json'))
    expect(policy.packages['learn-client']?.network).toEqual(['dl.example.test'])
    expect(policy.packages['learn-client@1.0.0']?.pin).toMatch(/^sha256-/)
    expect(Object.keys(policy.packages).filter((key) => key.startsWith('steal-npmrc'))).toEqual([])
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
    expect(manifest.allowScripts).toEqual({ 'learn-client@1.0.0': true })
  }, 180_000)
})

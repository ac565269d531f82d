/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install policy ls` through bin/ on a workspace project installed from the test registry:
 * one view of every dependency with install-time code across the workspaces, its approval and
 * the entry that decides it, its commands, its content pin, and what it did on the last run.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { PolicyListing } from '../../src/policy/list-policy.js'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { npmEnv, writeNpmrc } from '../helpers/registry.js'
import { bwrapWorks, safeInstall, type TestProject } from '../helpers/safe-install.js'

describe('safe-install policy ls', () => {
  const open = inject('openRegistry')
  let root: string
  let project: TestProject

  beforeAll(async () => {
    root = await makeTempDir('si-policy-ls-')
    const dir = path.join(root, 'project')
    const home = path.join(root, 'home')
    await mkdir(home, { recursive: true })
    for (const [ws, deps] of [['app', { 'benign-postinstall': '1.0.0', 'dump-env': '1.0.0' }], ['native', { 'native-addon': '1.0.0' }]] as const) {
      await mkdir(path.join(dir, 'packages', ws), { recursive: true })
      await writeFile(path.join(dir, 'packages', ws, 'package.json'), JSON.stringify({ name: ws, version: '1.0.0', dependencies: deps }, null, 2))
    }
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({
      name: 'ls-root', version: '1.0.0', private: true, workspaces: ['packages/*'],
      dependencies: { 'steal-npmrc': '1.0.0' },
      allowScripts: { 'benign-postinstall': true, 'steal-npmrc': false },
    }, null, 2)}\n`)
    await writeNpmrc(dir, open)
    project = { dir, home, env: npmEnv(home, { LANG: 'C.UTF-8' }) }
    const installed = await safeInstall(project, ['install', '--unreviewed', 'skip'])
    expect(installed.code, installed.stdout + installed.stderr).toBeLessThan(2)
  }, 180_000)
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('lists every package with install-time code across the workspaces, with approval, entry, commands and the last run', async () => {
    const r = await safeInstall(project, ['policy', 'ls', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const listing = JSON.parse(r.stdout) as PolicyListing
    const rows = Object.fromEntries(listing.packages.map((p) => [p.name, p]))
    expect(Object.keys(rows).sort()).toEqual(['benign-postinstall', 'dump-env', 'native-addon', 'steal-npmrc'])
    expect(rows['benign-postinstall']).toMatchObject({ approval: 'approved', entries: ['benign-postinstall'], requiredBy: ['packages/app'], pin: 'unpinned' })
    expect(rows['steal-npmrc']).toMatchObject({ approval: 'denied', entries: ['steal-npmrc'], requiredBy: ['.'] })
    expect(rows['dump-env']).toMatchObject({ approval: 'unreviewed', entries: [], requiredBy: ['packages/app'] })
    // binding.gyp without an install hook: npm's implicit node-gyp rebuild.
    expect(rows['native-addon']?.scripts).toEqual({ install: 'node-gyp rebuild' })
    expect(rows['native-addon']?.requiredBy).toEqual(['packages/native'])
    expect(listing.report?.command).toBe('install')
    expect(rows['benign-postinstall']?.lastRun?.scripts.map((s) => s.outcome)).toEqual(bwrapWorks() ? ['ok'] : expect.any(Array))
    expect(rows['dump-env']?.lastRun?.scripts.map((s) => s.outcome)).toEqual(['skipped'])
    // npm never hands a denied package's script to the shell: nothing ran, nothing to show.
    expect(rows['steal-npmrc']?.lastRun).toBeUndefined()

    const text = await safeInstall(project, ['policy', 'ls'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('4 installed packages with install scripts')
    expect(text.stdout).toMatch(/dump-env@1\.0\.0 {2}unreviewed · not pinned · needed by packages\/app/)
    expect(text.stdout).toContain('to review: safe-install policy review dump-env native-addon')
    expect(text.stdout).toMatch(/steal-npmrc@1\.0\.0 {2}denied by "steal-npmrc"[^\n]*\n {6}postinstall: [^\n]+\n {6}denied: never run/)
  })

  it('shows the pin once approved, and refuses a bad --report with one line (exit 2)', async () => {
    const approved = await safeInstall(project, ['policy', 'approve', 'dump-env'])
    expect(approved.code, approved.stderr).toBe(0)
    const listing = JSON.parse((await safeInstall(project, ['policy', 'ls', '--json'])).stdout) as PolicyListing
    expect(listing.packages.find((p) => p.name === 'dump-env')).toMatchObject({ approval: 'approved', entries: ['dump-env@1.0.0'], pin: 'match', pinKey: 'dump-env@1.0.0' })
    const bad = path.join(root, 'bad.json')
    await writeFile(bad, '{"schemaVersion": 1}')
    const r = await safeInstall(project, ['policy', 'ls', '--report', bad])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toMatch(/^safe-install: .*bad\.json: not a safe-install report/)
  })
})

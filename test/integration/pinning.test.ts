/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Content pinning through bin/ against the test registry: `policy approve` records what the
 * package runs at install time; a version bump with the same install code keeps the approval
 * (the script runs, the report says it carried over); a bump whose install code changed is
 * stopped as unreviewed with `script-changed` and a diff of the change.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { npmEnv, publishFixtures, writeNpmrc } from '../helpers/registry.js'
import { readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'

const TOOL = `si-pin-probe-${randomBytes(3).toString('hex')}`
const INSTALL = "require('fs').writeFileSync(require('path').join(__dirname, 'built.txt'), 'built')\n"
const CHANGED = `${INSTALL}require('fs').writeFileSync(require('path').join(__dirname, 'extra.txt'), String(Object.keys(process.env).length))\n`

describe('content pinning', () => {
  const open = inject('openRegistry')
  let root: string
  let project: TestProject

  const setVersion = async (version: string): Promise<void> => {
    const file = path.join(project.dir, 'package.json')
    const json = JSON.parse(await readFile(file, 'utf8')) as { dependencies: Record<string, string> }
    json.dependencies[TOOL] = version
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`)
  }
  const install = async (label: string, command: string[] = ['install']): Promise<{ code: number; report: Report; stdout: string }> => {
    const reportFile = path.join(root, `${label}.json`)
    const r = await safeInstall(project, [...command, '--report', reportFile])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    return { code: r.code, report, stdout: r.stdout + r.stderr }
  }
  const outcome = (report: Report): string | undefined =>
    report.packages.find((p) => p.name === TOOL)?.scripts.map((s) => s.outcome).join(',')
  const built = (): boolean => existsSync(path.join(project.dir, 'node_modules', TOOL, 'built.txt'))

  beforeAll(async () => {
    root = await makeTempDir('si-pin-')
    const write = async (version: string, files: Record<string, string>): Promise<string> => {
      const dir = path.join(root, 'packages', version)
      await mkdir(dir, { recursive: true })
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: TOOL, version, license: 'MIT', scripts: { postinstall: 'node install.js' } }))
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text)
      return dir
    }
    await publishFixtures(open, [
      await write('1.0.0', { 'install.js': INSTALL, 'README.md': 'one\n' }),
      await write('1.0.1', { 'install.js': INSTALL, 'README.md': 'two: docs changed, install code did not\n' }),
      await write('1.1.0', { 'install.js': CHANGED, 'README.md': 'three\n' }),
    ], { concurrency: 1 })
    const dir = path.join(root, 'project')
    const home = path.join(root, 'home')
    await mkdir(home, { recursive: true })
    await mkdir(dir, { recursive: true })
    await writeNpmrc(dir, open)
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'pinning', version: '1.0.0', private: true, dependencies: { [TOOL]: '1.0.0' } }, null, 2)}\n`)
    project = { dir, home, env: npmEnv(home, { LANG: 'C.UTF-8' }) }
  }, 120_000)
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('records a pin at approval, carries it across a bump with the same install code, and stops changed code with a diff', async () => {
    // Unreviewed at first: skipped by npm's rules (--unreviewed defaults to the policy's), then approved and pinned.
    const first = await safeInstall(project, ['install', '--unreviewed', 'skip'])
    expect(first.code, first.stderr).toBe(0)
    const approved = await safeInstall(project, ['policy', 'approve', TOOL])
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toContain(`pinned ${TOOL}@1.0.0`)
    const policy = await readJson<{ packages: Record<string, { pin: string; pinned: { scripts: Record<string, string>; files: Record<string, string>; integrity?: string } }> }>(path.join(project.dir, 'safe-install.policy.json'))
    const entry = policy.packages[`${TOOL}@1.0.0`]
    expect(entry?.pin).toMatch(/^sha256-/)
    expect(entry?.pinned.scripts).toEqual({ postinstall: 'node install.js' })
    expect(Object.keys(entry?.pinned.files ?? {})).toEqual(['install.js'])
    expect(entry?.pinned.integrity).toMatch(/^sha512-/)
    const rebuilt = await safeInstall(project, ['rebuild', TOOL])
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    expect(built()).toBe(true)

    // 1.0.1: allowScripts pins 1.0.0 only, so npm's rules say unreviewed; the install code is identical.
    await setVersion('1.0.1')
    const same = await install('same')
    expect(same.code, same.stdout).toBe(0)
    expect(outcome(same.report)).toBe('ok')
    expect(same.report.packages.find((p) => p.name === TOOL)?.approval).toBe('approved')
    expect(same.report.findings.filter((f) => f.package.name === TOOL).map((f) => `${f.rule} ${f.severity}`)).toEqual(['approval-carried note'])

    // 1.1.0: install.js changed. Unreviewed, not run, and the report shows what changed.
    await setVersion('1.1.0')
    const changed = await install('changed')
    expect(changed.code).toBe(1)
    expect(outcome(changed.report)).not.toBe('ok')
    const finding = changed.report.findings.find((f) => f.rule === 'script-changed')
    expect(finding).toMatchObject({ severity: 'error', package: { name: TOOL, version: '1.1.0' }, evidence: { pinnedBy: `${TOOL}@1.0.0`, changes: ['install.js: content changed'] } })
    expect(String(finding?.evidence['diff'])).toContain("+require('fs').writeFileSync(require('path').join(__dirname, 'extra.txt')")
    expect(changed.stdout).toContain('script-changed')
    expect(existsSync(path.join(project.dir, 'node_modules', TOOL, 'extra.txt'))).toBe(false)

    // Reviewed and approved again: the new content is pinned and runs (rebuild: 1.1.0 is already in place).
    const again = await safeInstall(project, ['policy', 'approve', TOOL])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`pinned ${TOOL}@1.1.0`)
    const after = await install('after', ['rebuild', TOOL])
    expect(after.code, after.stdout).toBe(0)
    expect(outcome(after.report)).toBe('ok')
    expect(after.report.findings.filter((f) => f.package.name === TOOL && f.severity !== 'note')).toEqual([])
    expect(existsSync(path.join(project.dir, 'node_modules', TOOL, 'extra.txt'))).toBe(true)
  }, 240_000)
})

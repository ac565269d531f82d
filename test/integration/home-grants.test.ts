/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `~` write grants through bin/: a package granted `~/.cache/home-cache` writes its tool into
 * `$HOME/.cache/home-cache` and it is in the user's real home after the install (here the test's
 * temp HOME, never the real one), where the next run reads it back; without the grant it is lost
 * with the decoy home, as before. With every backend that works here: bubblewrap, ns-unshare.sh,
 * and none. In the namespace backends a hostile use of the grant (symlinks planted in the granted
 * directory, absolute paths into the real home) reaches nothing outside it; without namespaces the
 * same attempts succeed and are reported. Grants of the home itself or of credential and
 * persistence paths stop the run before anything is installed (exit 2).
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { bwrapWorks, PLANTED, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Finding, Report } from '../../src/types.js'

const GRANT = '~/.cache/home-cache'
const policyText = (write: readonly string[]): string => JSON.stringify({ packages: { 'home-cache': { write } } })

interface Attempt { ok: boolean; value?: unknown; error?: string }
interface Result { home: string; installed: string; attempts: Record<string, Attempt> }

const BACKENDS = [
  { name: 'bwrap', namespace: true, env: (_root: string): Record<string, string> => ({}) },
  { name: 'unshare', namespace: true, env: (root: string): Record<string, string> => ({ SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap') }) },
  { name: 'none', namespace: false, env: (root: string): Record<string, string> => ({ SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-unshare') }) },
] as const

describe.runIf(process.platform === 'linux')('~ write grants are the real home', () => {
  const open = inject('openRegistry')
  let root: string

  beforeAll(async () => {
    root = await makeTempDir('si-home-grant-')
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  const prepare = async (label: string, options: { write?: readonly string[]; hostile?: boolean } = {}): Promise<TestProject> => {
    const project = await prepareProject('basic', root, label, open, {
      dependencies: { 'home-cache': '1.0.0' },
      allowScripts: { 'home-cache': true },
      files: options.write === undefined ? {} : { 'safe-install.policy.json': policyText(options.write) },
    })
    await writeFile(path.join(project.dir, 'home-cache-targets.json'), JSON.stringify({ label, realHome: project.home, hostile: options.hostile === true }))
    return project
  }

  const run = async (project: TestProject, label: string, env: Record<string, string>, args: readonly string[] = ['install']): Promise<{ code: number | null; stderr: string; report: Report; result: Result }> => {
    const reportFile = path.join(root, `${label}.json`)
    const r = await safeInstall({ ...project, env: { ...project.env, ...env } }, [...args, '--quiet', '--report', reportFile])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    const result = await readJson<Result>(path.join(project.dir, 'node_modules', 'home-cache', 'result.json'))
    return { code: r.code, stderr: r.stderr, report, result }
  }

  const toolOf = (project: TestProject): string => path.join(project.home, '.cache', 'home-cache', 'bin', 'tool')
  const errors = (report: Report): Finding[] => report.findings.filter((f) => f.severity === 'error')
  const homeNotes = (report: Report): Finding[] => report.findings.filter((f) => f.evidence['entry'] === 'home-grant')

  describe.each(BACKENDS)('with the $name backend', (backend) => {
    const available = backend.namespace ? bwrapWorks() : true

    it.runIf(available)('the granted download lands in the real home, the report says where, and the next run reads it back', async () => {
      const project = await prepare(`${backend.name}-granted`, { write: [GRANT] })
      const env = backend.env(root)
      const first = await run(project, `${backend.name}-granted`, env)
      expect(first.report.isolation.backend).toBe(backend.name)
      expect(errors(first.report)).toEqual([])
      expect(first.code).toBe(0)
      expect(first.result.attempts['cacheHit']?.ok).toBe(false)
      expect(first.result.home).not.toBe(project.home)
      expect(await readFile(toolOf(project), 'utf8')).toBe(`home-cache tool, installed by ${backend.name}-granted\n`)
      const real = path.join(project.home, '.cache', 'home-cache')
      expect(homeNotes(first.report)).toEqual([expect.objectContaining({
        rule: 'write-outside-package', severity: 'note', package: expect.objectContaining({ name: 'home-cache' }), event: 'postinstall',
        evidence: expect.objectContaining({ grant: GRANT, path: real }),
      })])
      if (first.report.isolation.tracer !== 'none') {
        expect(homeNotes(first.report)[0]?.evidence['written']).toEqual(expect.arrayContaining([path.join(real, 'bin', 'tool')]))
      }

      const again = await run(project, `${backend.name}-rebuild`, env, ['rebuild', 'home-cache'])
      expect(again.code).toBe(0)
      expect(again.result.attempts['cacheHit']).toEqual({ ok: true, value: `home-cache tool, installed by ${backend.name}-granted\n` })
    })

    it.runIf(available)('without the grant the write stays in the throwaway home, as before', async () => {
      const project = await prepare(`${backend.name}-ungranted`)
      const { code, report, result } = await run(project, `${backend.name}-ungranted`, backend.env(root))
      expect(code).toBe(0)
      expect(result.installed).toContain('home-cache tool')
      expect(existsSync(toolOf(project))).toBe(false)
      expect(existsSync(path.join(project.home, '.cache'))).toBe(false)
      expect(homeNotes(report)).toEqual([])
    })

    it.runIf(available)(backend.namespace
      ? 'a hostile use of the grant reaches nothing of the real home outside the granted directory'
      : 'without namespaces the same escapes succeed, and the tracer reports them', async () => {
      const project = await prepare(`${backend.name}-hostile`, { write: [GRANT], hostile: true })
      const { report, result } = await run(project, `${backend.name}-hostile`, backend.env(root))
      const text = JSON.stringify(result)
      const a = result.attempts
      // The real directory is there by its real path too, and the tool sees its own files.
      expect(a['writeRealPath']?.ok).toBe(true)
      expect(a['readRealPath']).toEqual({ ok: true, value: `home-cache tool, installed by ${backend.name}-hostile\n` })
      expect(await readFile(path.join(project.home, '.cache', 'home-cache', 'real-path.txt'), 'utf8')).toBe('by its real path\n')
      if (backend.namespace) {
        expect(text).not.toContain(PLANTED.HOME_NPMRC_TOKEN)
        expect(a['readRealNpmrc']?.ok).toBe(false)
        expect(a['readThroughAbsoluteLink']?.ok).toBe(false)
        expect(a['listRealHome']?.value).toEqual(['.cache'])
        expect(existsSync(path.join(project.home, '.bashrc'))).toBe(false)
        expect(existsSync(path.join(project.home, 'planted.txt'))).toBe(false)
        expect(existsSync(path.join(project.home, '.cache', 'beside.txt'))).toBe(false)
        // The relative link from the decoy path reaches the decoy's canary, never the real file.
        expect(String(a['readThroughRelativeLink']?.value ?? '')).not.toContain(PLANTED.HOME_NPMRC_TOKEN)
        expect(report.findings.some((f) => f.rule === 'credential-read' && f.evidence['decoy'] === true)).toBe(true)
        // The write to the real .bashrc succeeded only inside the hidden home's empty tmpfs: the report says it was stopped.
        if (report.isolation.tracer === 'strace') {
          const bashrc = report.findings.find((f) => f.rule === 'persistence' && String(f.evidence['path']) === path.join(project.home, '.bashrc'))
          expect(bashrc).toMatchObject({ severity: 'error', action: 'blocked' })
          expect(bashrc?.message).toContain('throwaway')
        }
      } else {
        expect(a['readThroughAbsoluteLink']?.value).toContain(PLANTED.HOME_NPMRC_TOKEN)
        expect(existsSync(path.join(project.home, '.bashrc'))).toBe(true)
        const bashrc = report.findings.find((f) => f.rule === 'persistence' && String(f.evidence['path']) === path.join(project.home, '.bashrc'))
        expect(bashrc?.severity).toBe('error')
        expect(report.findings.some((f) => f.rule === 'write-outside-package' && f.severity === 'error' && String(f.evidence['path']) === path.join(project.home, '.cache', 'beside.txt'))).toBe(true)
      }
    })
  })

  it.each([
    ['~', 'the whole home directory'],
    ['~/.ssh', 'ssh'],
    ['~/.npmrc', '.npmrc'],
    ['~/.bashrc', 'shell startup file'],
    ['~/.config/gh', 'gh'],
    ['~/.aws', 'aws'],
    ['~/.cache', 'shared by many tools'],
    ['~/.cache/../.ssh', '~/.ssh'],
    ['cache/relative', 'absolute path or starts with ~/'],
  ])('a grant of %s is a policy error (exit 2) and nothing is installed', async (grant, why) => {
    const label = `refused-${grant.replace(/[^a-z]/g, '_')}`
    const project = await prepare(label, { write: [grant] })
    const r = await safeInstall(project, ['install', '--quiet'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`packages.home-cache.write: "${grant}" is refused`)
    expect(r.stderr).toContain(why)
    expect(existsSync(path.join(project.dir, 'node_modules'))).toBe(false)
  })

  it.runIf(bwrapWorks())('a granted directory that is a symlink is not followed: the grant stays in the throwaway home, with a warning', async () => {
    const project = await prepare('symlinked', { write: [GRANT] })
    const elsewhere = path.join(root, 'symlinked', 'elsewhere')
    await mkdir(elsewhere, { recursive: true })
    await mkdir(path.join(project.home, '.cache'), { recursive: true })
    await symlink(elsewhere, path.join(project.home, '.cache', 'home-cache'))
    const { code, report, result } = await run(project, 'symlinked', {})
    expect(code).toBe(0)
    expect(result.installed).toContain('home-cache tool')
    expect(existsSync(path.join(elsewhere, 'bin', 'tool'))).toBe(false)
    expect(homeNotes(report)).toEqual([expect.objectContaining({
      rule: 'write-outside-package', severity: 'warning', action: 'blocked',
      evidence: expect.objectContaining({ grant: GRANT, reason: expect.stringContaining('is a symbolic link') }),
    })])
  })
})

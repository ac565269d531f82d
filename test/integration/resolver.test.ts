/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Resolver egress: npm's own fetches may reach the registries configured in npm and nothing else
 * unless the policy allows the host. A transitive remote-tarball dependency (PhantomRaven) and a
 * direct one are refused before anything is fetched, on the package that asked for them.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { prepareProject, readJson, safeInstall } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

describe('resolver egress', () => {
  const open = inject('openRegistry')
  let root: string
  let server: Server
  let port = 0
  const hits: string[] = []

  beforeAll(async () => {
    root = await makeTempDir('si-resolver-')
    server = createServer((req, res) => {
      hits.push(req.url ?? '')
      res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(async () => {
    server?.close()
    if (root !== undefined) await removeDir(root)
  })

  const install = async (label: string, dependencies: Record<string, string>, policy?: unknown): Promise<{ code: number; report: Report }> => {
    const project = await prepareProject('basic', root, label, open, {
      dependencies,
      ...(policy === undefined ? {} : { files: { 'safe-install.policy.json': JSON.stringify(policy) } }),
    })
    const reportFile = path.join(root, `${label}.json`)
    const r = await safeInstall(project, ['install', '--quiet', '--report', reportFile])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    return { code: r.code, report }
  }

  it('refuses a transitive remote-tarball dependency and names the package that asked for it', async () => {
    const { code, report } = await install('transitive', { 'phantom-raven': '1.0.0' })
    expect(code).toBe(1)
    const refused = report.findings.filter((f) => f.rule === 'egress-blocked')
    expect(refused).toEqual([expect.objectContaining({
      severity: 'error', action: 'blocked', package: expect.objectContaining({ name: 'phantom-raven', version: '1.0.0' }),
      evidence: expect.objectContaining({ url: 'http://127.0.0.1:9/npm/ui-styles-pkg.tgz', dependency: 'ui-styles-pkg' }),
    })])
    expect(refused[0]?.message).toContain('phantom-raven@1.0.0 (as "ui-styles-pkg")')
  })

  it('refuses a direct one before a byte is fetched, and fetches it once the policy allows the host', async () => {
    const url = `http://127.0.0.1:${port}/direct.tgz`
    const refused = await install('direct', { direct: url })
    expect(refused.code).toBe(1)
    expect(refused.report.findings).toEqual(expect.arrayContaining([
      expect.objectContaining({ rule: 'egress-blocked', evidence: expect.objectContaining({ url, dependency: 'direct' }) }),
    ]))
    expect(hits).toEqual([])

    const allowed = await install('direct-allowed', { direct: url }, { network: { allow: [`127.0.0.1:${port}`] } })
    expect(hits).toEqual(['/direct.tgz'])
    expect(allowed.code).toBe(3)
    expect(allowed.report.findings.filter((f) => f.rule === 'egress-blocked')).toEqual([])
  })

  it('refuses a git dependency on a host the policy does not grant before git contacts it', async () => {
    const url = `git+http://127.0.0.1:${port}/evil/repo.git`
    const { code, report } = await install('git', { evil: url })
    expect(code).toBe(1)
    expect(report.findings).toEqual(expect.arrayContaining([
      expect.objectContaining({
        rule: 'egress-blocked', severity: 'error',
        evidence: expect.objectContaining({ url: `http://127.0.0.1:${port}/evil/repo.git`, dependency: 'evil' }),
      }),
    ]))
    expect(hits.filter((hit) => hit.includes('evil'))).toEqual([])
  })

  it('runs the real git for remotes it allows (a local repository)', async () => {
    const repo = path.join(root, 'local-repo')
    await mkdir(repo, { recursive: true })
    await writeFile(path.join(repo, 'package.json'), JSON.stringify({ name: 'local-git-dep', version: '1.2.3' }))
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' } })
    }
    git('init', '-q')
    git('add', 'package.json')
    git('commit', '-qm', 'init')
    const { code, report } = await install('git-local', { 'local-git-dep': `git+file://${repo}` })
    expect(report.findings.filter((f) => f.rule === 'egress-blocked')).toEqual([])
    expect(code).toBe(0)
    const installed = await readJson<{ version: string }>(path.join(root, 'git-local', 'project', 'node_modules', 'local-git-dep', 'package.json'))
    expect(installed.version).toBe('1.2.3')
  })
})

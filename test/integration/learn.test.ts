/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Learn mode end to end, through bin/: a package whose postinstall downloads from a host it is not
 * granted and caches the file outside its own directory runs in report mode; `policy learn` writes
 * exactly the two grants it needed; the same install in enforce mode then passes, and without
 * either grant it fails on that grant's finding (each grant is needed, none is wider). "The
 * internet" is the test's upstream proxy on 127.0.0.1 (npm's proxy setting), which answers the
 * *.example.test name itself; the cache directory is a temp dir outside /tmp (under .tmp/ of the
 * repository), since writes under /tmp count as shared-tmp warnings, which need no grant.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir, REPO_ROOT } from '../helpers/fixtures.js'
import { bwrapWorks, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { policyFromText } from '../../src/policy/load-policy.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

const CDN = 'learn-cdn.example.test:8080'
const PAYLOAD = 'learnt-payload'

/**
 * The write this test learns must land outside the host's shared temp folders: the collector
 * reports a write under /tmp or /var/tmp as a shared-tmp warning, which is not a grant to learn.
 * The cache folder lives under the checkout's .tmp/, so a checkout under /tmp cannot run it.
 */
const checkoutOutsideTmp = ![tmpdir(), '/tmp', '/var/tmp'].some((dir) => REPO_ROOT === dir || REPO_ROOT.startsWith(`${dir}/`))

describe.runIf(bwrapWorks() && checkoutOutsideTmp)('policy learn: report mode, learn, enforce', () => {
  const open = inject('openRegistry')
  let root: string
  let cacheRoot: string
  let cacheDir: string
  let upstream: Server
  let upstreamPort = 0
  const upstreamSaw: string[] = []
  let learnt: { policy: string; json: Record<string, unknown>; code: number | null } | undefined

  beforeAll(async () => {
    root = await makeTempDir('si-learn-')
    await mkdir(path.join(REPO_ROOT, '.tmp'), { recursive: true })
    cacheRoot = await mkdtemp(path.join(REPO_ROOT, '.tmp', 'si-learn-cache-'))
    cacheDir = path.join(cacheRoot, 'cache')
    await mkdir(cacheDir)
    upstream = createServer((req, res) => {
      upstreamSaw.push(`${req.method ?? ''} ${req.url ?? ''}`)
      if (req.url === `http://${CDN}/asset.txt`) res.end(PAYLOAD)
      else res.writeHead(502).end()
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    upstreamPort = (upstream.address() as { port: number }).port
  })
  afterAll(async () => {
    upstream?.close()
    if (root !== undefined) await removeDir(root)
    if (cacheRoot !== undefined) await removeDir(cacheRoot)
  })

  const prepare = async (label: string, policy?: string): Promise<TestProject> => {
    const proxy = `http://127.0.0.1:${upstreamPort}`
    return prepareProject('basic', root, label, open, {
      dependencies: { 'learn-client': '1.0.0' },
      allowScripts: { 'learn-client': true },
      npmrcExtra: { proxy, noproxy: '127.0.0.1,localhost' },
      files: {
        'learn-targets.json': JSON.stringify({ url: `http://${CDN}/asset.txt`, cacheFile: path.join(cacheDir, `${label}.txt`) }),
        ...(policy === undefined ? {} : { 'safe-install.policy.json': policy }),
      },
    })
  }

  const install = async (project: TestProject, label: string, extra: string[] = []): Promise<{ code: number | null; report: Report }> => {
    const reportFile = path.join(root, `${label}.json`)
    const r = await safeInstall(project, ['install', '--quiet', '--report', reportFile, ...extra])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    return { code: r.code, report }
  }

  const errors = (report: Report): string[] => report.findings.filter((f) => f.severity === 'error').map((f) => f.rule)

  it('report mode lets the download through and records it; the write outside is refused and recorded', async () => {
    upstreamSaw.length = 0
    const project = await prepare('report')
    const { code, report } = await install(project, 'report', ['--mode', 'report'])
    expect(report.mode).toBe('report')
    expect(report.isolation).toMatchObject({ network: 'namespace', filesystem: 'namespace', tracer: 'strace' })
    expect(upstreamSaw).toEqual([`GET http://${CDN}/asset.txt`])
    const who = { package: expect.objectContaining({ name: 'learn-client', version: '1.0.0' }), event: 'postinstall' }
    expect(report.egress).toEqual([expect.objectContaining({ ...who, host: 'learn-cdn.example.test', port: 8080, decision: 'allowed' })])
    expect(report.findings).toEqual(expect.arrayContaining([
      expect.objectContaining({ ...who, rule: 'egress-unexpected', action: 'reported', evidence: expect.objectContaining({ host: 'learn-cdn.example.test', port: 8080 }) }),
      expect.objectContaining({ ...who, rule: 'write-outside-package', action: 'blocked', evidence: expect.objectContaining({ path: path.join(cacheDir, 'report.txt') }) }),
    ]))
    expect(code).toBe(1)

    const r = await safeInstall(project, ['policy', 'learn', '--from-report', path.join(root, 'report.json'), '--json'])
    const policy = await readFile(path.join(project.dir, 'safe-install.policy.json'), 'utf8')
    learnt = { policy, json: JSON.parse(r.stdout) as Record<string, unknown>, code: r.code }
  })

  it('learn writes exactly the host and the directory the run needed, nothing wider', () => {
    if (learnt === undefined) throw new Error('the report-mode run did not complete')
    expect(learnt.code).toBe(0)
    expect(learnt.json).toMatchObject({ created: true, written: true, notGranted: [], withheld: [] })
    expect(JSON.parse(learnt.policy)).toEqual({
      $schema: './node_modules/safe-install/policies/policy.schema.json',
      extends: 'default',
      packages: { 'learn-client': { network: [CDN], write: [cacheDir] } },
    })
    expect(() => policyFromText(learnt?.policy ?? '', 'safe-install.policy.json')).not.toThrow()
  })

  it('the same install in enforce mode with the learnt policy passes', async () => {
    if (learnt === undefined) throw new Error('learn did not run')
    upstreamSaw.length = 0
    const { code, report } = await install(await prepare('enforce', learnt.policy), 'enforce')
    expect(errors(report)).toEqual([])
    expect(code).toBe(0)
    expect(report.mode).toBe('enforce')
    expect(upstreamSaw).toEqual([`GET http://${CDN}/asset.txt`])
    expect(await readFile(path.join(cacheDir, 'enforce.txt'), 'utf8')).toBe(PAYLOAD)
  })

  it.each([
    { without: 'network', rule: 'egress-blocked', subject: (f: Report['findings'][number]) => f.evidence['host'] === 'learn-cdn.example.test' },
    { without: 'write', rule: 'write-outside-package', subject: (f: Report['findings'][number]) => String(f.evidence['path']).startsWith(`${cacheDir}/`) },
  ] as const)('without the learnt $without grant, the enforce run fails on $rule', async ({ without, rule, subject }) => {
    if (learnt === undefined) throw new Error('learn did not run')
    const policy = JSON.parse(learnt.policy) as { packages: Record<string, Record<string, unknown>> }
    delete policy.packages['learn-client']?.[without]
    const label = `without-${without}`
    const { code, report } = await install(await prepare(label, JSON.stringify(policy)), label)
    expect(code).toBe(1)
    expect(report.findings.some((f) => f.rule === rule && f.severity === 'error' && subject(f))).toBe(true)
    expect(existsSync(path.join(cacheDir, `${label}.txt`))).toBe(false)
  })

  it('a bad report is a one-line usage error naming the file (exit 2), and nothing is written', async () => {
    const project = await prepare('bad-report')
    await writeFile(path.join(project.dir, 'old.json'), JSON.stringify({ schemaVersion: 2 }))
    const r = await safeInstall(project, ['policy', 'learn', '--from-report', 'old.json'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('safe-install: old.json: schemaVersion 2 is not supported (this version reads 1)')
    expect(existsSync(path.join(project.dir, 'safe-install.policy.json'))).toBe(false)
  })
})

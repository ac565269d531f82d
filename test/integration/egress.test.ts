/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Every hook's only way out is its own egress proxy: granted hosts work, everything else is
 * refused with a finding naming the package and hook, and a canary leaving is caught.
 * Runs with the namespace sandbox (bridge in the network namespace) and without (loopback
 * proxy with per-hook credentials).
 */
import { createServer, type Server } from 'node:http'
import { writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { prepareProject, readJson, safeInstall } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

interface Result { status?: number; body?: string; error?: string }

describe('egress proxy per hook', () => {
  const open = inject('openRegistry')
  let root: string
  const hits: string[] = []
  const servers: Server[] = []
  let allowedPort = 0
  let deniedPort = 0

  const listen = async (name: string): Promise<number> => {
    const server = createServer((req, res) => {
      hits.push(`${name} ${req.url ?? ''}`)
      res.end(`${name}-payload`)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    return (server.address() as { port: number }).port
  }

  beforeAll(async () => {
    root = await makeTempDir('si-egress-')
    allowedPort = await listen('cdn')
    deniedPort = await listen('evil')
  })
  afterAll(async () => {
    for (const server of servers) server.close()
    if (root !== undefined) await removeDir(root)
  })

  for (const mode of ['namespace', 'proxy-env'] as const) {
    it(`grants, refuses and attributes every request (${mode})`, async () => {
      hits.length = 0
      const project = await prepareProject('basic', root, mode, open, {
        dependencies: { 'proxy-client': '1.0.0' },
        allowScripts: { 'proxy-client': true },
        files: { 'safe-install.policy.json': JSON.stringify({ packages: { 'proxy-client': { network: [`127.0.0.1:${allowedPort}`] } } }) },
      })
      await writeFile(path.join(project.dir, 'egress-targets.json'), JSON.stringify({
        allowedUrl: `http://127.0.0.1:${allowedPort}/file.bin`, deniedUrl: `http://127.0.0.1:${deniedPort}/steal`,
      }))
      const env = mode === 'namespace' ? project.env : { ...project.env, SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-unshare') }
      const reportFile = path.join(root, `${mode}.json`)
      const r = await safeInstall({ ...project, env }, ['install', '--quiet', '--report', reportFile])
      const report = await readJson<Report>(reportFile)
      expect(validateReport(report)).toEqual({ kind: 'valid' })
      expect(report.isolation.network).toBe(mode)
      expect(r.code).toBe(1)
      const results = await readJson<Record<string, Result>>(path.join(project.dir, 'node_modules', 'proxy-client', 'results.json'))
      expect(results['allowed']).toEqual({ status: 200, body: 'cdn-payload' })
      expect(results['denied']?.status).toBe(403)
      expect(results['metadata']?.status).toBe(403)
      expect(results['exfiltration']?.status).toBe(403)
      expect(hits).toEqual(['cdn /file.bin'])

      const who = { package: { name: 'proxy-client', version: '1.0.0' }, event: 'postinstall' }
      expect(report.egress).toEqual(expect.arrayContaining([
        expect.objectContaining({ ...who, protocol: 'http', host: '127.0.0.1', port: allowedPort, method: 'GET', path: '/file.bin', decision: 'allowed' }),
        expect.objectContaining({ ...who, host: '127.0.0.1', port: deniedPort, decision: 'blocked' }),
        expect.objectContaining({ ...who, host: '169.254.169.254', decision: 'blocked' }),
      ]))
      const rules = report.findings.map((f) => `${f.rule}:${f.package.name}:${f.event ?? ''}`)
      expect(rules).toEqual(expect.arrayContaining([
        'egress-blocked:proxy-client:postinstall', 'metadata-endpoint:proxy-client:postinstall', 'secret-exfiltration:proxy-client:postinstall',
      ]))
      expect(JSON.stringify(report)).not.toMatch(/npm_[A-Za-z0-9]{36}/)
    })
  }
})

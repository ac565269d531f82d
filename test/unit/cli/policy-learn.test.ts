import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runPolicyLearn, type PolicyLearnArgs } from '../../../src/cli/commands/policy-learn.js'
import type { Finding, Report } from '../../../src/types.js'
import { sampleReport } from '../report/sample-report.js'

const finding = (rule: string, name: string, evidence: Record<string, unknown>): Finding => ({
  rule, severity: 'error', action: 'reported', package: { name, version: '1.0.0', location: `node_modules/${name}` },
  event: 'postinstall', message: `${rule} finding`, evidence,
})

const REPORT: Report = sampleReport({
  mode: 'report',
  findings: [
    finding('egress-unexpected', 'cdn-pkg', { host: 'dl.example.test', port: 443 }),
    finding('egress-unexpected', 'evil', { host: 'drop.example.test', port: 443 }),
    finding('credential-read', 'evil', { path: '/tmp/safe-install-sbx-Ab12Cd/home/.npmrc' }),
  ],
  summary: { packages: 2, scriptsRun: 2, findings: { error: 3, warning: 0, note: 0 } },
})

describe('safe-install policy learn (command)', () => {
  let dir: string
  const run = (over: Partial<PolicyLearnArgs> = {}) => runPolicyLearn({
    'from-report': 'run.json', 'dry-run': false, json: false, 'pin-version': false, 'allow-violations': false, ...over,
  }, { cwd: dir, env: { SAFE_INSTALL_MALWARE_DB: join(dir, 'no-index') } })
  const policy = (): Promise<unknown> => readFile(join(dir, 'safe-install.policy.json'), 'utf8').then((text) => JSON.parse(text) as unknown)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'si-learn-cmd-'))
    await writeFile(join(dir, 'run.json'), JSON.stringify(REPORT))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('writes the clean packages\' grants, withholds the violating one\'s, lists the violation and exits 1', async () => {
    const outcome = await run()
    expect(outcome.exitCode).toBe(1)
    expect(await policy()).toEqual({
      $schema: './node_modules/safe-install/policies/policy.schema.json', extends: 'default',
      packages: { 'cdn-pkg': { network: ['dl.example.test'] } },
    })
    expect(outcome.stdout).toContain('  cdn-pkg: network dl.example.test (egress-unexpected, postinstall)')
    expect(outcome.stdout).toContain('evil@1.0.0 postinstall  credential-read  /tmp/safe-install-sbx-Ab12Cd/home/.npmrc')
    expect(outcome.stdout).toContain('  evil: network drop.example.test (egress-unexpected, postinstall)')
    expect(outcome.stdout).toContain('created safe-install.policy.json: 1 entry for 1 package')
  })

  it('--allow-violations writes them too (never the violation) and exits 0; learning again changes nothing', async () => {
    expect((await run({ 'allow-violations': true })).exitCode).toBe(0)
    expect(await policy()).toMatchObject({ packages: { 'cdn-pkg': { network: ['dl.example.test'] }, evil: { network: ['drop.example.test'] } } })
    const before = await readFile(join(dir, 'safe-install.policy.json'), 'utf8')
    const again = await run({ 'allow-violations': true, json: true })
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, written: false, grants: [] })
    expect(await readFile(join(dir, 'safe-install.policy.json'), 'utf8')).toBe(before)
  })

  it('--dry-run prints the diff and writes nothing; --json says the same as data', async () => {
    const dry = await run({ 'dry-run': true })
    expect(dry.stdout).toContain('--- /dev/null\n+++ safe-install.policy.json\n')
    expect(dry.stdout).toContain('+        "dl.example.test"')
    const json = JSON.parse((await run({ 'dry-run': true, json: true, 'pin-version': true })).stdout) as Record<string, unknown>
    expect(json).toMatchObject({ policyFile: 'safe-install.policy.json', created: true, changed: true, written: false })
    expect(json['grants']).toEqual([expect.objectContaining({ key: 'cdn-pkg@1.0.0', network: ['dl.example.test'] })])
    expect(json['notGranted']).toEqual([expect.objectContaining({ rule: 'credential-read', kind: 'violation' })])
    expect(existsSync(join(dir, 'safe-install.policy.json'))).toBe(false)
  })

  it('refuses an invalid existing policy file (exit 2) and leaves it alone', async () => {
    await writeFile(join(dir, 'p.json'), '{ "packages": { "x": { "network": ["*"] } } }')
    await expect(run({ policy: 'p.json' })).rejects.toMatchObject({ code: 'EPOLICY', message: expect.stringMatching(/^p\.json: packages\.x\.network\.0: /) })
    expect(await readFile(join(dir, 'p.json'), 'utf8')).toBe('{ "packages": { "x": { "network": ["*"] } } }')
  })
})

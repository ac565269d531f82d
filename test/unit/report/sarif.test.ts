import type { Log } from 'sarif'
import { describe, expect, it } from 'vitest'
import { FINGERPRINT_KEY, renderSarif } from '../../../src/report/sarif.js'
import { sampleReport } from './sample-report.js'

const lines: Readonly<Record<string, number>> = { 'node_modules/evil-pkg': 120, 'node_modules/sharp': 310 }

const opts = {
  manifestPath: 'package.json',
  lockfilePath: 'app\\package-lock.json',
  locate: (location: string): number | undefined => lines[location],
}

const render = (report = sampleReport()): Log => JSON.parse(renderSarif(report, opts)) as Log

const runOf = (log: Log) => log.runs[0]!

describe('renderSarif', () => {
  it('writes one SARIF 2.1.0 run from safe-install', () => {
    const text = renderSarif(sampleReport(), opts)
    const log = JSON.parse(text) as Log
    expect(text.endsWith('}\n')).toBe(true)
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json')
    expect(log.version).toBe('2.1.0')
    expect(log.runs).toHaveLength(1)
    expect(runOf(log).tool.driver).toMatchObject({ name: 'safe-install', version: '0.1.0' })
    expect(runOf(log).tool.driver.informationUri).toBeUndefined()
  })

  it('declares each rule used once, with descriptions, help, tags and default level', () => {
    const rules = runOf(render()).tool.driver.rules ?? []
    expect(rules.map((rule) => rule.id)).toEqual([
      'credential-read',
      'egress-blocked',
      'unreviewed-script',
      'static-curl-pipe-shell',
      'install-script',
    ])
    expect(rules.map((rule) => rule.name)).toEqual([
      'CredentialRead',
      'EgressBlocked',
      'UnreviewedScript',
      'StaticCurlPipeShell',
      'InstallScript',
    ])
    for (const rule of rules) {
      expect(rule.shortDescription?.text).toMatch(/\S/)
      expect(rule.fullDescription?.text).toMatch(/\S/)
      expect(rule.help?.text).toMatch(/\S/)
      expect(rule.help?.markdown).toContain(rule.shortDescription?.text)
      expect(rule.properties?.tags).toEqual(['security'])
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration?.level)
    }
    expect(rules[2]!.help?.markdown).toContain('`safe-install policy approve <name>`')
    expect(rules[2]!.help?.text).not.toContain('`')
  })

  it('gives every result a ruleIndex that points at its rule, and the finding severity as level', () => {
    const run = runOf(render())
    const results = run.results ?? []
    expect(results).toHaveLength(5)
    for (const result of results) {
      expect(run.tool.driver.rules?.[result.ruleIndex!]?.id).toBe(result.ruleId)
    }
    expect(results.map((result) => result.level)).toEqual(['error', 'error', 'warning', 'warning', 'note'])
  })

  it('locates findings on the lockfile line of their package, the root project on the manifest', () => {
    const uris = (runOf(render()).results ?? []).map((result) => result.locations?.[0]?.physicalLocation)
    expect(uris).toEqual([
      { artifactLocation: { uri: 'app/package-lock.json' }, region: { startLine: 120 } },
      { artifactLocation: { uri: 'app/package-lock.json' }, region: { startLine: 120 } },
      { artifactLocation: { uri: 'app/package-lock.json' }, region: { startLine: 310 } },
      { artifactLocation: { uri: 'package.json' }, region: { startLine: 1 } },
      { artifactLocation: { uri: 'app/package-lock.json' }, region: { startLine: 1 } },
    ])
  })

  it('puts the fix command in the message text', () => {
    const result = (runOf(render()).results ?? [])[2]!
    expect(result.message.text).toBe(
      'install of sharp@0.33.5 was not run: it has no allowScripts entry. Fix: safe-install policy approve sharp',
    )
  })

  it('fingerprints by rule, package name and event: stable across versions and runs, distinct otherwise', () => {
    const fingerprints = (log: Log): string[] =>
      (runOf(log).results ?? []).map((result) => result.partialFingerprints?.[FINGERPRINT_KEY] ?? '')
    const first = fingerprints(render())
    const bumped = sampleReport()
    const again = fingerprints(
      render({ ...bumped, findings: bumped.findings.map((f) => ({ ...f, package: { ...f.package, version: '9.9.9' } })) }),
    )
    expect(again).toEqual(first)
    expect(new Set(first).size).toBe(first.length)
    for (const fingerprint of first) expect(fingerprint).toMatch(/^[0-9a-f]{64}$/)
  })

  it('writes an empty but valid run when there are no findings', () => {
    const run = runOf(render(sampleReport({ findings: [] })))
    expect(run.results).toEqual([])
    expect(run.tool.driver.rules).toEqual([])
  })
})

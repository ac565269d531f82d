import { describe, expect, it } from 'vitest'
import { renderSarif } from '../../../src/report/sarif.js'
import type { Finding, Report } from '../../../src/types.js'
import { sarifSchemaErrors } from '../../helpers/sarif-schema.js'
import { sampleReport } from './sample-report.js'

const opts = { manifestPath: 'package.json', lockfilePath: 'package-lock.json', locate: (): number => 7 }

const sarifOf = (report: Report, options = opts): Record<string, unknown> =>
  JSON.parse(renderSarif(report, options)) as Record<string, unknown>

const hostile: Finding = {
  rule: 'static-curl-pipe-shell',
  severity: 'error',
  package: { name: '@evil/pkg ::error::<script>|x', version: '1.0.0%0A', location: 'node_modules/@evil/pkg ::error::<script>|x' },
  event: 'postinstall\n::set-output name=x::y',
  action: 'reported',
  message: 'line one\r\nline two <script>alert(1)</script> | `code` %0A ::warning::forged',
  evidence: { file: 'node_modules/@evil/pkg ::error::<script>|x/in stall#1?.js', line: 3, snippet: '\u001b[31mred\u0000' },
}

describe('SARIF against the official OASIS 2.1.0 schema', () => {
  it('accepts the install report', () => {
    expect(sarifSchemaErrors(sarifOf(sampleReport()))).toEqual([])
  })

  it('accepts an audit report with findings located by their evidence, and an empty run', () => {
    const audit = sampleReport({
      command: 'audit',
      findings: [{
        rule: 'lockfile-untrusted-host', severity: 'error', package: { name: 'left-pad', version: '1.3.0', location: 'node_modules/left-pad' },
        action: 'reported', message: 'left-pad resolves to another host.', evidence: { lockfile: '../app dir/package-lock.json', line: 12, key: 'node_modules/left-pad' },
      }],
    })
    expect(sarifSchemaErrors(sarifOf(audit))).toEqual([])
    expect(sarifSchemaErrors(sarifOf(sampleReport({ findings: [] })))).toEqual([])
  })

  it('accepts hostile package names, events, messages and paths', () => {
    const log = sarifOf(sampleReport({ findings: [hostile, { ...hostile, evidence: {}, severity: 'note' }] }), { ...opts, lockfilePath: 'sub dir/package-lock.json' })
    expect(sarifSchemaErrors(log)).toEqual([])
  })

  it('rejects what the schema forbids (the validator is live)', () => {
    const log = sarifOf(sampleReport()) as { version: string; runs: Array<{ results: Array<Record<string, unknown>> }> }
    const result = log.runs[0]!.results[0]!
    expect(sarifSchemaErrors({ ...log, version: '2.0.0' })).not.toEqual([])
    expect(sarifSchemaErrors({ ...log, runs: [{ ...log.runs[0], results: [{ ...result, level: 'fatal' }] }] })).not.toEqual([])
    const badLine = { ...result, locations: [{ physicalLocation: { artifactLocation: { uri: 'package-lock.json' }, region: { startLine: 0 } } }] }
    expect(sarifSchemaErrors({ ...log, runs: [{ ...log.runs[0], results: [badLine] }] })).not.toEqual([])
    const badUri = { ...result, locations: [{ physicalLocation: { artifactLocation: { uri: 'a b\\c' } } }] }
    expect(sarifSchemaErrors({ ...log, runs: [{ ...log.runs[0], results: [badUri] }] })).not.toEqual([])
  })
})

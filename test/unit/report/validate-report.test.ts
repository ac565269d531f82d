import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderJson } from '../../../src/report/json.js'
import { validateReport } from '../../../src/report/validate-report.js'
import { sampleReport } from './sample-report.js'

const clone = (): Record<string, unknown> => JSON.parse(renderJson(sampleReport())) as Record<string, unknown>

const errorsOf = (value: unknown): string[] => {
  const result = validateReport(value)
  return result.kind === 'invalid' ? result.errors : []
}

describe('validateReport', () => {
  it('accepts a full realistic report, as rendered to JSON', () => {
    expect(validateReport(clone())).toEqual({ kind: 'valid' })
  })

  it('accepts an audit report with empty lists and a finding without event or location', () => {
    const report = sampleReport({
      command: 'audit',
      packages: [],
      egress: [],
      findings: [
        {
          rule: 'lockfile-missing-integrity',
          severity: 'warning',
          package: { name: 'left-pad', version: '1.3.0' },
          action: 'reported',
          message: 'left-pad@1.3.0 has no integrity in package-lock.json.',
          evidence: { nested: { any: ['shape', 1, null] } },
        },
      ],
      summary: { packages: 1, scriptsRun: 0, findings: { error: 0, warning: 1, note: 0 } },
    })
    expect(validateReport(report)).toEqual({ kind: 'valid' })
  })

  it('rejects a value outside an enum and names the field and the allowed values', () => {
    const errors = errorsOf({ ...clone(), mode: 'block' })
    expect(errors).toEqual(['/mode: must be equal to one of the allowed values (enforce, report)'])
  })

  it('rejects a wrong nested enum', () => {
    const report = clone()
    const findings = report['findings'] as Record<string, unknown>[]
    findings[0]!['severity'] = 'critical'
    expect(errorsOf(report)).toEqual([expect.stringMatching(/^\/findings\/0\/severity: /)])
  })

  it('rejects a missing required field', () => {
    const { summary: _summary, ...report } = clone()
    expect(errorsOf(report)).toEqual(["(report): must have required property 'summary'"])
  })

  it('rejects an extra top-level key, so typos fail', () => {
    expect(errorsOf({ ...clone(), finding: [] })).toEqual(['(report): unknown property "finding"'])
  })

  it('rejects a typo in a nested fixed-shape object', () => {
    const report = clone()
    report['isolation'] = { ...(report['isolation'] as object), tracr: 'none' }
    expect(errorsOf(report)).toContain('/isolation: unknown property "tracr"')
  })

  it('rejects a startedAt that is not a date-time and evidence that is not an object', () => {
    const report = clone()
    report['startedAt'] = 'yesterday'
    ;(report['findings'] as Record<string, unknown>[])[0]!['evidence'] = ['x']
    expect(errorsOf(report)).toEqual([
      '/startedAt: must match format "date-time"',
      '/findings/0/evidence: must be object',
    ])
  })

  it('accepts exitCode null or an integer, and nothing else', () => {
    const report = clone()
    const script = ((report['packages'] as Record<string, unknown>[])[0]!['scripts'] as Record<string, unknown>[])[0]!
    script['exitCode'] = 1.5
    expect(errorsOf(report)).toContain('/packages/0/scripts/0/exitCode: must be integer,null')
  })
})

describe('report.schema.json', () => {
  const schema = JSON.parse(readFileSync(new URL('../../../schemas/report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>

  const undocumented = (node: unknown, path: string): string[] => {
    if (typeof node !== 'object' || node === null) return []
    const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties ?? {}
    const defs = (node as { $defs?: Record<string, unknown> }).$defs ?? {}
    return [
      ...Object.entries(properties).flatMap(([name, property]) => [
        ...('$ref' in property && !('title' in property) ? [] : 'title' in property && 'description' in property ? [] : [`${path}.${name}`]),
        ...undocumented(property, `${path}.${name}`),
      ]),
      ...Object.entries(defs).flatMap(([name, def]) => undocumented(def, `$defs.${name}`)),
    ]
  }

  it('has an $id and a title and description for every property (docs are generated from them)', () => {
    expect(schema['$id']).toEqual(expect.any(String))
    expect(undocumented(schema, '')).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { SafeInstallError } from '../../../src/errors.js'
import { parseReportText } from '../../../src/report/read-report.js'
import { sampleReport } from './sample-report.js'

const failure = (text: string): SafeInstallError => {
  try {
    parseReportText(text, 'r.json')
  } catch (error) {
    if (error instanceof SafeInstallError) return error
    throw error
  }
  throw new Error('expected a SafeInstallError')
}

describe('reading a report back (policy learn --from-report)', () => {
  it('accepts a valid install report', () => {
    const report = sampleReport({ mode: 'report' })
    expect(parseReportText(JSON.stringify(report), 'r.json')).toEqual(report)
  })

  it.each([
    ['not JSON', 'nope\n', /^r\.json: not JSON \(/],
    ['not an object', '[1, 2]', /^r\.json: not a safe-install report \(not a JSON object\)$/],
    ['no schemaVersion', '{"findings": []}', /^r\.json: not a safe-install report \(no schemaVersion\)$/],
    ['another schemaVersion', '{"schemaVersion": 2}', /^r\.json: schemaVersion 2 is not supported \(this version reads 1\)$/],
    ['a missing field', JSON.stringify({ ...sampleReport(), command: undefined }), /^r\.json: not a valid safe-install report: \(report\): must have required property 'command'$/],
    ['a wrong field', JSON.stringify({ ...sampleReport(), mode: 'learn' }), /^r\.json: not a valid safe-install report: \/mode: /],
    ['an audit report', JSON.stringify(sampleReport({ command: 'audit' })), /^r\.json: command: an audit report runs no script/],
  ])('refuses %s with a one-line usage error naming the file and field (exit 2)', (_label, text, message) => {
    const error = failure(text)
    expect(error.code).toBe('EUSAGE')
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('\n')
  })
})

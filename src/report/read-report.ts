import { SafeInstallError } from '../errors.js'
import type { Report } from '../types.js'
import { validateReport } from './validate-report.js'

const HINT = 'pass the file written by `safe-install install --mode report --report <file>`'

const bad = (file: string, what: string): SafeInstallError => new SafeInstallError('EUSAGE', `${file}: ${what}`, HINT)

/**
 * A JSON report read back (`policy learn --from-report`): JSON, schemaVersion 1, valid against
 * schemas/report.schema.json, and a report of scripts that ran (not an audit). Anything else is a
 * one-line usage error naming the file and the field.
 */
export const parseReportText = (text: string, file: string): Report => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw bad(file, `not JSON (${(error as Error).message.replace(/\s+/g, ' ').slice(0, 160)})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(file, 'not a safe-install report (not a JSON object)')
  const version = (value as Record<string, unknown>)['schemaVersion']
  if (version === undefined) throw bad(file, 'not a safe-install report (no schemaVersion)')
  if (version !== 1) throw bad(file, `schemaVersion ${JSON.stringify(version)} is not supported (this version reads 1)`)
  const validation = validateReport(value)
  if (validation.kind === 'invalid') throw bad(file, `not a valid safe-install report: ${validation.errors[0] ?? 'invalid'}`)
  const report = value as Report
  if (report.command === 'audit') throw bad(file, 'command: an audit report runs no script, so it shows nothing to grant')
  return report
}

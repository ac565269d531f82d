import { createHash } from 'node:crypto'
import type { Report, Severity } from '../types.js'
import { placeFinding, type FindingPlaces } from './locate.js'
import { fingerprintOf } from './sarif.js'
import { stripControl, stripControlInline } from './sanitize.js'
import { packageId } from './package-id.js'

/**
 * One issue of GitLab's Code Quality report (a subset of the Code Climate engine format:
 * https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format). GitLab reads
 * `description`, `check_name`, `fingerprint`, `severity` and `location.path` /
 * `location.lines.begin`; the rest is for people and other Code Climate readers.
 */
export interface CodeQualityIssue {
  readonly type: 'issue'
  readonly engine_name: 'safe-install'
  readonly check_name: string
  readonly description: string
  readonly content: { readonly body: string }
  readonly categories: readonly ['Security']
  readonly severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker'
  readonly fingerprint: string
  readonly location: { readonly path: string; readonly lines: { readonly begin: number } }
}

const SEVERITY: Readonly<Record<Severity, CodeQualityIssue['severity']>> = { error: 'critical', warning: 'major', note: 'info' }

/**
 * A report as a GitLab Code Quality report: one issue per finding, at its lockfile line (or the
 * script line of an audit finding, or package.json for the root project), so a merge request
 * shows it in the Code Quality widget and, where GitLab offers it, beside the changed line.
 * Paths must be relative to the repository root (`CI_PROJECT_DIR`). Fingerprints are stable
 * across runs (GitLab tells new from fixed issues by them) and unique within the report
 * (GitLab keeps one issue per fingerprint). Package-controlled text is stripped of control
 * characters; GitLab escapes what it renders. Pure.
 */
export const renderCodeQuality = (report: Report, places: FindingPlaces): string => {
  const used = new Map<string, number>()
  const issues = report.findings.map((finding): CodeQualityIssue => {
    const { file, line } = placeFinding(finding, places)
    const base = createHash('sha256').update(`${fingerprintOf(finding)}\n${finding.message}`).digest('hex')
    const seen = used.get(base) ?? 0
    used.set(base, seen + 1)
    const fix = finding.evidence['fix']
    const where = `${packageId(finding.package)}${finding.event === undefined ? '' : ` ${finding.event}`}`
    return {
      type: 'issue',
      engine_name: 'safe-install',
      check_name: finding.rule,
      description: stripControlInline(`${finding.rule}${finding.action === 'blocked' ? ' (blocked)' : ''}: ${where}: ${finding.message}`),
      content: { body: stripControl(typeof fix === 'string' && fix !== '' ? `${finding.message}\n\nFix: ${fix}` : finding.message) },
      categories: ['Security'],
      severity: SEVERITY[finding.severity],
      fingerprint: seen === 0 ? base : createHash('sha256').update(`${base}\n${seen}`).digest('hex'),
      location: { path: file, lines: { begin: line ?? 1 } },
    }
  })
  return `${JSON.stringify(issues, null, 2)}\n`
}

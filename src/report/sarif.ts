import { createHash } from 'node:crypto'
import type { Location, Log, ReportingDescriptor, Result } from 'sarif'
import type { Finding, Report, Severity } from '../types.js'
import { placeFinding, type FindingPlaces } from './locate.js'
import { findRule, type RuleDescription } from './rule-catalog.js'
import { stripControlInline } from './sanitize.js'

export const SARIF_SCHEMA_URL = 'https://json.schemastore.org/sarif-2.1.0.json'

/** Name of the partialFingerprints entry; bump its suffix if the hashed fields ever change. */
export const FINGERPRINT_KEY = 'safeInstallFinding/v1'

/** Paths relative to the repository root, as code scanning resolves them (see {@link FindingPlaces}). */
export type SarifOptions = FindingPlaces

type Level = 'error' | 'warning' | 'note'

const levelOf = (severity: Severity): Level => {
  switch (severity) {
    case 'error':
      return 'error'
    case 'warning':
      return 'warning'
    case 'note':
      return 'note'
  }
}

/** GitHub ranks alerts of `security`-tagged rules by this CVSS-like score. */
const securitySeverityOf = (severity: Severity): string => {
  switch (severity) {
    case 'error':
      return '8.0'
    case 'warning':
      return '5.0'
    case 'note':
      return '2.0'
  }
}

const toPascalCase = (id: string): string =>
  id
    .split(/[^a-zA-Z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')

const toUri = (path: string): string =>
  path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .split('/')
    .map(encodeURIComponent)
    .join('/')

const describe = (id: string, severity: Severity): RuleDescription =>
  findRule(id) ?? {
    title: `safe-install rule ${id}`,
    help: 'See docs/rules.md for this rule.',
    defaultSeverity: severity,
  }

const buildRule = (id: string, severity: Severity): ReportingDescriptor => {
  const rule = describe(id, severity)
  return {
    id,
    name: toPascalCase(id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.help.replace(/`/g, '') },
    help: { text: rule.help.replace(/`/g, ''), markdown: `**${rule.title}**\n\n${rule.help}` },
    defaultConfiguration: { level: levelOf(rule.defaultSeverity) },
    properties: { tags: ['security'], 'security-severity': securitySeverityOf(rule.defaultSeverity) },
  }
}

const buildLocation = (finding: Finding, opts: SarifOptions): Location => {
  const { file, line } = placeFinding(finding, opts)
  return { physicalLocation: { artifactLocation: { uri: toUri(file) }, region: { startLine: line ?? 1 } } }
}

/** Stable across runs and versions, so that re-uploading the same problem updates one alert. */
export const fingerprintOf = (finding: Finding): string =>
  createHash('sha256')
    .update(JSON.stringify([finding.rule, finding.package.name, finding.event ?? '',
      // Audit findings: one per lockfile entry (the same package can be locked twice).
      ...(typeof finding.evidence['key'] === 'string' ? [finding.evidence['key']] : [])]))
    .digest('hex')

const messageOf = (finding: Finding): string => {
  const fix = finding.evidence['fix']
  const message = stripControlInline(finding.message)
  return typeof fix === 'string' && fix !== '' ? `${message} Fix: ${stripControlInline(fix)}` : message
}

const buildResult = (finding: Finding, ruleIndex: number, opts: SarifOptions): Result => ({
  ruleId: finding.rule,
  ruleIndex,
  level: levelOf(finding.severity),
  message: { text: messageOf(finding) },
  locations: [buildLocation(finding, opts)],
  partialFingerprints: { [FINGERPRINT_KEY]: fingerprintOf(finding) },
  properties: {
    package: finding.package,
    ...(finding.event === undefined ? {} : { event: finding.event }),
    action: finding.action,
    evidence: finding.evidence,
  },
})

/**
 * Render a report as SARIF 2.1.0 for GitHub code scanning: one run, one rule per rule id that
 * has findings (in order of first use), one result per finding located on the lockfile entry of
 * its package (package.json for the root project). Paths must be relative to the repository root.
 */
export const renderSarif = (report: Report, opts: SarifOptions): string => {
  const ruleIndexes = new Map<string, number>()
  const rules: ReportingDescriptor[] = []
  const results = report.findings.map((finding) => {
    let index = ruleIndexes.get(finding.rule)
    if (index === undefined) {
      index = rules.push(buildRule(finding.rule, finding.severity)) - 1
      ruleIndexes.set(finding.rule, index)
    }
    return buildResult(finding, index, opts)
  })
  const log: Log = {
    $schema: SARIF_SCHEMA_URL,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, rules } },
        results,
      },
    ],
  }
  return `${JSON.stringify(log, null, 2)}\n`
}

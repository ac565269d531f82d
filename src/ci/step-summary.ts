import { describeIsolation } from '../report/isolation-lines.js'
import { formatDuration, plural } from '../report/text-style.js'
import { placeFinding, type FindingPlaces } from '../report/locate.js'
import type { EgressEvent, Finding, Report, ReportPackage, ReportScript, ScriptOutcomeKind, Severity } from '../types.js'
import type { Degraded } from './github.js'
import { inertCode, inertText, renderTable } from './markdown.js'
import { packageId } from '../report/package-id.js'

/** What we write by default: GitHub accepts 1 MiB per step, and other tools may share the file. */
export const SUMMARY_BUDGET_BYTES = 256 * 1024

/** Bytes kept free for the lines that close the summary. */
const RESERVE = 2048

export interface SummaryOptions {
  /** How the run was started, e.g. `safe-install ci` (a heading; our own words, not escaped). */
  readonly title: string
  /** CI service name, when one was detected. */
  readonly ci?: string
  /** Set when the run fell back from the namespace sandbox. */
  readonly degraded?: Degraded
  /** Why the install itself failed (exit 3), when it did. */
  readonly failure?: string
  /** Audit: the lockfile reviewed, relative to the repository. */
  readonly lockfile?: string
  /** Audit: where findings are, for a `Where` column (file:line). */
  readonly places?: FindingPlaces
  /** Upper bound of the Markdown written, in UTF-8 bytes. */
  readonly budgetBytes?: number
}

interface Budget {
  readonly limit: number
  used: number
}

const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'note']

const bytes = (line: string): number => Buffer.byteLength(line, 'utf8') + 1

const take = (budget: Budget, lines: readonly string[]): string[] => {
  budget.used += lines.reduce((n, line) => n + bytes(line), 0)
  return [...lines]
}

/** A table with as many rows as the budget allows, and a line saying how many were left out. */
const boundedTable = (budget: Budget, headers: readonly string[], rows: readonly (readonly string[])[], what: string): string[] => {
  const head = renderTable(headers, [])
  const kept: (readonly string[])[] = []
  let used = head.reduce((n, line) => n + bytes(line), 0)
  for (const row of rows) {
    const size = bytes(renderTable([], [row])[2] ?? '')
    if (budget.used + used + size > budget.limit - RESERVE) break
    kept.push(row)
    used += size
  }
  const left = rows.length - kept.length
  return take(budget, [...renderTable(headers, kept), ...(left > 0 ? ['', `… and ${plural(left, what)} more, not shown here (size limit): see the JSON report.`] : [])])
}


const countFindings = (report: Report): string => {
  const { error, warning, note } = report.summary.findings
  return [plural(error, 'error'), plural(warning, 'warning'), plural(note, 'note')].join(', ')
}

const countScripts = (packages: readonly ReportPackage[], outcomes: readonly ScriptOutcomeKind[]): number =>
  packages.reduce((n, pkg) => n + pkg.scripts.filter((s) => outcomes.includes(s.outcome)).length, 0)

const renderIsolation = (report: Report, degraded: Degraded | undefined): string[] => {
  const { line, gaps } = describeIsolation(report.command, report.isolation)
  // describeIsolation's lines are our own words; only the probe's reason and fix quote the system.
  const lines = [`**Isolation in force:** ${line.replace(/^isolation: /, '')}`]
  if (degraded !== undefined) {
    lines.push('', `**Warning: reduced isolation.** ${inertText(degraded.reason, 600)}`, '', `Fix: ${inertText(degraded.fix, 600)} (or pass \`--require-isolation\` to fail instead).`)
  }
  return gaps.length === 0 ? lines : [...lines, '', ...gaps.map((gap) => `- ${gap}`)]
}

const scriptRow = (pkg: ReportPackage, script: ReportScript): string[] => [
  inertCode(packageId(pkg)), inertCode(script.event), script.outcome, script.outcome === 'skipped' ? '' : formatDuration(script.durationMs),
]

const renderScripts = (report: Report, budget: Budget): string[] => {
  const rows = report.packages.flatMap((pkg) => pkg.scripts.map((script) => scriptRow(pkg, script)))
  const { packages } = report
  const counts = `${plural(report.summary.scriptsRun, 'run', 'run')}, ${countScripts(packages, ['skipped'])} skipped, ${countScripts(packages, ['failed', 'timeout'])} failed, ${countScripts(packages, ['blocked'])} blocked`
  if (rows.length === 0) return take(budget, ['', '### Install scripts', '', 'No install scripts ran or were due.'])
  return [...take(budget, ['', `### Install scripts: ${counts}`, '']), ...boundedTable(budget, ['Package', 'Event', 'Outcome', 'Duration'], rows, 'script')]
}

/** Each distinct item with how often it occurs, in order of first occurrence. */
const countEach = (items: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1)
  return counts
}

const destination = (event: EgressEvent): string => `${event.host}:${event.port}`

/** What safe-install stopped: scripts not run, connections refused, findings acted on. */
const renderBlocked = (report: Report, budget: Budget): string[] => {
  const scripts = report.packages.flatMap((pkg) => pkg.scripts.filter((s) => s.outcome === 'blocked').map((s) => `${inertCode(packageId(pkg))} ${inertCode(s.event)}`))
  const connections = report.egress.filter((e) => e.decision === 'blocked').map((e) => `${inertCode(destination(e))} (${e.protocol}) from ${inertCode(packageId(e.package))} ${inertCode(e.event)}`)
  const acted = report.findings.filter((f) => f.action === 'blocked').length
  if (scripts.length + connections.length + acted === 0) {
    const why = report.mode === 'report' ? ' (mode report: violations are recorded, not blocked)' : ''
    return take(budget, ['', '### Blocked', '', `Nothing was blocked${why}.`])
  }
  const list = (items: readonly string[], what: string): string[] => {
    if (items.length === 0) return []
    const counted = [...countEach(items)].map(([item, n]) => (n > 1 ? `${item} ×${n}` : item))
    return [`- ${plural(items.length, what)}: ${counted.slice(0, 20).join(', ')}${counted.length > 20 ? `, … ${counted.length - 20} more` : ''}`]
  }
  return take(budget, ['', '### Blocked', '', ...list(scripts, 'script'), ...list(connections, 'connection'),
    ...(acted > 0 ? [`- ${plural(acted, 'finding')} acted on (action \`blocked\` below)`] : [])])
}

const messageOf = (finding: Finding): string => {
  const fix = finding.evidence['fix']
  return typeof fix === 'string' && fix !== '' ? `${inertCode(finding.message, 400)} Fix: ${inertCode(fix)}` : inertCode(finding.message, 400)
}

const whereOf = (finding: Finding, places: FindingPlaces): string => {
  const { file, line } = placeFinding(finding, places)
  return inertCode(line === undefined ? file : `${file}:${line}`)
}

/** Install-like runs say which hook and what was done; an audit says where in the lockfile (or script) it is. */
const renderFindings = (report: Report, budget: Budget, places: FindingPlaces | undefined): string[] => {
  if (report.findings.length === 0) return take(budget, ['', '### Findings', '', 'No findings.'])
  const sorted = SEVERITY_ORDER.flatMap((severity) => report.findings.filter((f) => f.severity === severity))
  const audit = report.command === 'audit' && places !== undefined
  const headers = audit ? ['Severity', 'Rule', 'Package', 'Where', 'Message'] : ['Severity', 'Rule', 'Package', 'Event', 'Action', 'Message']
  const rows = sorted.map((f) => audit
    ? [f.severity, inertCode(f.rule), inertCode(packageId(f.package)), whereOf(f, places), messageOf(f)]
    : [f.severity, inertCode(f.rule), inertCode(packageId(f.package)), inertCode(f.event ?? ''), f.action, messageOf(f)])
  return [...take(budget, ['', `### Findings: ${countFindings(report)}`, '']), ...boundedTable(budget, headers, rows, 'finding')]
}

const renderEgress = (report: Report, budget: Budget): string[] => {
  if (report.command === 'audit') return []
  if (report.egress.length === 0) return take(budget, ['', '### Network', '', 'No install script connected anywhere.'])
  const blocked = report.egress.filter((e) => e.decision === 'blocked').length
  const rows = [...report.egress].sort((a, b) => (a.decision === b.decision ? 0 : a.decision === 'blocked' ? -1 : 1))
    .map((e) => [inertCode(packageId(e.package)), inertCode(e.event), `${e.protocol} ${inertCode(destination(e))}`, e.decision, `${e.bytesOut} / ${e.bytesIn}`])
  return [...take(budget, ['', `### Network: ${plural(report.egress.length, 'connection')}, ${blocked} blocked`, '']),
    ...boundedTable(budget, ['Package', 'Event', 'Destination', 'Decision', 'Bytes out / in'], rows, 'connection')]
}

const renderAuditInventory = (report: Report, lockfile: string | undefined): string[] => {
  const count = (approval: ReportPackage['approval']): number => report.packages.filter((p) => p.approval === approval).length
  return [
    `**Lockfile:** ${lockfile === undefined ? 'the project\'s' : inertCode(lockfile)}, ${plural(report.summary.packages, 'entry', 'entries')}; offline review, no package code was run.`,
    '',
    `**Install scripts:** ${plural(report.packages.length, 'package')}: ${count('approved')} approved, ${count('unreviewed')} unreviewed, ${count('denied')} denied.`,
  ]
}

/**
 * The Markdown a run appends to `$GITHUB_STEP_SUMMARY`: the command and its mode, the isolation
 * really in force (and, if degraded, why and the fix), the install scripts and their outcomes,
 * what was blocked, every finding by severity, and the network egress. Audit reports show the
 * lockfile and its install-script approvals instead of scripts and egress. Every value a package
 * controls is inert ({@link inertCode}); the whole stays under `budgetBytes`. Pure.
 */
export const renderStepSummary = (report: Report, opts: SummaryOptions): string => {
  const budget: Budget = { limit: opts.budgetBytes ?? SUMMARY_BUDGET_BYTES, used: 0 }
  const mode = report.command === 'audit' ? 'offline audit' : report.mode === 'enforce' ? 'mode enforce (violations blocked)' : 'mode report (violations recorded, not blocked)'
  const head = take(budget, [
    `## ${opts.title}: ${countFindings(report)}`,
    '',
    `${mode} · ${formatDuration(report.durationMs)} · safe-install ${report.tool.version}${opts.ci === undefined ? '' : ` · ${opts.ci}`}`,
    '',
    ...(opts.failure === undefined ? [] : [`**The install failed:** ${inertCode(opts.failure, 1000)}`, '']),
    ...(report.command === 'audit' ? renderAuditInventory(report, opts.lockfile) : renderIsolation(report, opts.degraded)),
  ])
  const body = report.command === 'audit'
    ? renderFindings(report, budget, opts.places)
    : [...renderScripts(report, budget), ...renderBlocked(report, budget), ...renderFindings(report, budget, opts.places), ...renderEgress(report, budget)]
  return capBytes(`${[...head, ...body, ''].join('\n')}\n`, budget.limit)
}

/** The hard bound: whole lines up to `limit` bytes, then one line saying the rest was cut. */
const capBytes = (text: string, limit: number): string => {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text
  const kept: string[] = []
  let used = RESERVE / 2
  for (const line of text.split('\n')) {
    if (used + bytes(line) > limit) break
    kept.push(line)
    used += bytes(line)
  }
  return `${kept.join('\n')}\n\n… cut here (size limit): see the JSON report.\n`
}

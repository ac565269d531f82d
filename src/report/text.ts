import type { Finding, Report, ReportPackage, ReportScript, ScriptOutcomeKind, Severity } from '../types.js'
import { describeIsolation } from './isolation-lines.js'
import { stripControl, stripControlInline as clean } from './sanitize.js'
import { alignColumns, formatDuration, makePaint, plural, type Paint, type Tone } from './text-style.js'

export interface TextOptions {
  readonly color: boolean
  /** Also print every script's command and each finding's evidence. */
  readonly verbose: boolean
}

interface Context extends TextOptions {
  readonly paint: Paint
}

const OUTCOME_TONE: Readonly<Record<ScriptOutcomeKind, Tone>> = {
  ok: 'green',
  failed: 'red',
  skipped: 'yellow',
  blocked: 'red',
  timeout: 'red',
}

const SEVERITIES: readonly { severity: Severity; heading: string; tone: Tone }[] = [
  { severity: 'error', heading: 'Errors', tone: 'red' },
  { severity: 'warning', heading: 'Warnings', tone: 'yellow' },
  { severity: 'note', heading: 'Notes', tone: 'cyan' },
]

const EVIDENCE_MAX = 160

const idOf = (pkg: { readonly name: string; readonly version: string }): string => clean(`${pkg.name}@${pkg.version}`)

const renderHeader = (report: Report, ctx: Context): string[] => {
  const mode = report.mode === 'report' ? 'mode report (violations recorded, not blocked)' : 'mode enforce'
  const header = ctx.paint('bold', `safe-install ${report.command}`)
  const { line, gaps } = describeIsolation(report.command, report.isolation)
  return [
    `${header} · ${mode} · ${formatDuration(report.durationMs)}`,
    line,
    ...gaps.map((gap) => `  ${ctx.paint('yellow', '!')} ${gap}`),
  ]
}

const showsCommand = (script: ReportScript, ctx: Context): boolean => ctx.verbose || script.outcome !== 'ok'

const renderScripts = (packages: readonly ReportPackage[], ctx: Context): string[] => {
  const entries = packages.flatMap((pkg) => pkg.scripts.map((script) => ({ pkg, script })))
  if (entries.length === 0) return ['No install scripts.']
  const rows = alignColumns(
    entries.map(({ pkg, script }) => [
      idOf(pkg),
      clean(script.event),
      script.outcome,
      script.outcome === 'skipped' ? '' : `(${formatDuration(script.durationMs)})`,
    ]),
  )
  const lines = [ctx.paint('bold', 'Install scripts')]
  rows.forEach(([id, event, outcome, duration], i) => {
    const entry = entries[i]!
    lines.push(`  ${id}  ${event}  ${ctx.paint(OUTCOME_TONE[entry.script.outcome], outcome ?? '')}  ${duration}`.trimEnd())
    if (showsCommand(entry.script, ctx)) lines.push(`      ${ctx.paint('dim', `$ ${clean(entry.script.command)}`)}`)
  })
  return lines
}

const OUTPUT_LINES = 20

const APPROVAL_RULES: ReadonlySet<string> = new Set(['unreviewed-script', 'script-changed'])

const renderEvidence = (evidence: Finding['evidence']): string[] =>
  Object.entries(evidence)
    .filter(([key]) => key !== 'fix')
    .map(([key, value]) => {
      const text = clean(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))
      return `      ${clean(key)}: ${text.length > EVIDENCE_MAX ? `${text.slice(0, EVIDENCE_MAX)}…` : text}`
    })

/** Messages usually name their package already; prefix it only when they do not. */
const locate = (finding: Finding): string => {
  if (finding.message.includes(finding.package.name)) return ''
  const event = finding.event === undefined ? '' : ` ${clean(finding.event)}`
  return `${idOf(finding.package)}${event}: `
}

const renderFinding = (finding: Finding, ctx: Context): string[] => {
  const action = finding.action === 'blocked' ? ' [blocked]' : ''
  const lines = [`  ${ctx.paint('bold', clean(finding.rule))}${action}  ${locate(finding)}${clean(finding.message)}`]
  const fix = finding.evidence['fix']
  if (typeof fix === 'string' && fix !== '') {
    const label = APPROVAL_RULES.has(finding.rule) ? 'approve with' : 'fix'
    lines.push(`    ${label}: ${ctx.paint('cyan', clean(fix))}`)
  }
  if (ctx.verbose) return [...lines, ...renderEvidence(finding.evidence)]
  return [...lines, ...renderOutputTail(finding.evidence['output'])]
}

/** A failed script's last lines of output, shown without --verbose: it is what the user needs first. */
const renderOutputTail = (output: unknown): string[] => {
  if (typeof output !== 'string' || output.trim() === '') return []
  const tail = output.trimEnd().split('\n').slice(-OUTPUT_LINES)
  return tail.map((line) => `      ${stripControl(line).replace(/\t/g, '  ')}`)
}

const renderFindings = (findings: readonly Finding[], ctx: Context): string[] =>
  SEVERITIES.flatMap(({ severity, heading, tone }) => {
    const group = findings.filter((finding) => finding.severity === severity)
    if (group.length === 0) return []
    return ['', ctx.paint(tone, ctx.paint('bold', `${heading} (${group.length})`)), ...group.flatMap((f) => renderFinding(f, ctx))]
  })

const countOutcomes = (packages: readonly ReportPackage[], outcomes: readonly ScriptOutcomeKind[]): number =>
  packages.reduce((n, pkg) => n + pkg.scripts.filter((script) => outcomes.includes(script.outcome)).length, 0)

/** An audit runs nothing: what the lockfile holds and how its install scripts stand. */
const renderInventory = (report: Report): string[] => {
  const count = (approval: ReportPackage['approval']): number => report.packages.filter((pkg) => pkg.approval === approval).length
  const scripts = report.packages.length === 0 ? 'none with install scripts'
    : `${report.packages.length} with install scripts: ${count('approved')} approved, ${count('unreviewed')} unreviewed, ${count('denied')} denied`
  return [`${plural(report.summary.packages, 'lockfile entry', 'lockfile entries')}, ${scripts}.`]
}

const renderSummary = (report: Report, ctx: Context): string => {
  if (report.command === 'audit') {
    const { error, warning, note } = report.summary.findings
    const notes = note === 0 ? [] : [`${plural(note, 'note')}${ctx.verbose ? '' : ' (--verbose shows them)'}`]
    return ctx.paint(error > 0 ? 'red' : 'bold', `${plural(report.summary.packages, 'entry', 'entries')} reviewed · ${[plural(error, 'error'), plural(warning, 'warning'), ...notes].join(', ')}`)
  }
  const blocked = countOutcomes(report.packages, ['blocked'])
  const { error, warning, note } = report.summary.findings
  const scripts = [
    plural(report.summary.scriptsRun, 'script run', 'scripts run'),
    `${countOutcomes(report.packages, ['skipped'])} skipped`,
    `${countOutcomes(report.packages, ['failed', 'timeout'])} failed`,
    ...(blocked > 0 ? [`${blocked} blocked`] : []),
  ].join(', ')
  const findings = [plural(error, 'error'), plural(warning, 'warning'), ...(note > 0 ? [plural(note, 'note')] : [])].join(', ')
  return ctx.paint(error > 0 ? 'red' : 'bold', `${scripts} · ${findings}`)
}

const renderNextSteps = (report: Report, ctx: Context): string[] => {
  const waiting = report.packages.filter(
    (pkg) => pkg.approval === 'unreviewed' && (report.command === 'audit' || pkg.scripts.some((script) => script.outcome === 'skipped')),
  )
  if (waiting.length === 0) return []
  const intro =
    report.command === 'audit'
      ? 'These packages have install scripts nobody has reviewed:'
      : 'These install scripts were skipped because nobody has reviewed them:'
  const rows = alignColumns(waiting.map((pkg) => [idOf(pkg), pkg.scripts.map((s) => clean(s.event)).join(', ')]))
  const names = [...new Set(waiting.map((pkg) => clean(pkg.name)))].join(' ')
  return [
    '',
    ctx.paint('bold', 'Next steps'),
    `  ${intro}`,
    ...rows.map((cells) => `    ${cells.join('  ')}`),
    `  Read each script, then approve or deny it: ${ctx.paint('cyan', `safe-install policy approve ${names}`)} (or safe-install policy deny)`,
    ...(report.command === 'audit' ? [] : [`  Then run the approved ones, sandboxed: ${ctx.paint('cyan', `safe-install rebuild ${names}`)}`]),
  ]
}

/**
 * The human summary printed after a command: header with the isolation really in force, one
 * aligned line per install script, findings by severity with their fix command, a count line,
 * and next steps for unreviewed scripts. Every package-provided field is stripped of control
 * characters and escape sequences first, so a package cannot forge or hide report lines.
 */
export const renderText = (report: Report, opts: TextOptions): string => {
  const ctx: Context = { ...opts, paint: makePaint(opts.color) }
  const lines = [
    ...renderHeader(report, ctx),
    '',
    ...(report.command === 'audit' ? renderInventory(report) : renderScripts(report.packages, ctx)),
    ...renderFindings(report.command === 'audit' && !ctx.verbose ? report.findings.filter((f) => f.severity !== 'note') : report.findings, ctx),
    '',
    renderSummary(report, ctx),
    ...renderNextSteps(report, ctx),
  ]
  return `${lines.join('\n')}\n`
}

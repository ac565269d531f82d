import type { Finding, Report, ReportPackage, ReportScript, ScriptOutcomeKind, Severity } from '../types.js'
import { fixFor } from './fix-command.js'
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

const samePackage = (finding: Finding, pkg: ReportPackage): boolean =>
  finding.package.name === pkg.name && finding.package.version === pkg.version
  && (finding.package.location === undefined || finding.package.location === pkg.location)

/** Findings of one script row: its package and hook; the package's findings of no hook go on its first row. */
const countFindings = (findings: readonly Finding[], pkg: ReportPackage, index: number): { text: string; tone: Tone | undefined } => {
  const event = pkg.scripts[index]?.event
  const own = findings.filter((f) => samePackage(f, pkg) && (f.event === event || (index === 0 && (f.event === undefined || !pkg.scripts.some((s) => s.event === f.event)))))
  const counts = SEVERITIES.map(({ severity }) => ({ severity, n: own.filter((f) => f.severity === severity).length })).filter(({ n }) => n > 0)
  if (counts.length === 0) return { text: '-', tone: undefined }
  const text = counts.map(({ severity, n }) => plural(n, severity)).join(', ')
  return { text, tone: counts[0]?.severity === 'error' ? 'red' : counts[0]?.severity === 'warning' ? 'yellow' : undefined }
}

/**
 * The summary table: one row per install script (the package named on its first row), with its
 * outcome, time and how many findings it has; the command under every script that did not end ok.
 */
const renderScripts = (report: Report, ctx: Context): string[] => {
  const entries = report.packages.flatMap((pkg) => pkg.scripts.map((script, index) => ({ pkg, script, findings: countFindings(report.findings, pkg, index), first: index === 0 })))
  if (entries.length === 0) return ['No install scripts.']
  const rows = alignColumns([
    ['package', 'hook', 'outcome', 'time', 'findings'],
    ...entries.map(({ pkg, script, findings, first }) => [
      first ? idOf(pkg) : '',
      clean(script.event),
      script.outcome,
      script.outcome === 'skipped' ? '' : formatDuration(script.durationMs),
      findings.text,
    ]),
  ])
  const [head, ...body] = rows
  const lines = [ctx.paint('bold', 'Install scripts'), `  ${ctx.paint('dim', (head ?? []).join('  '))}`]
  body.forEach(([id, event, outcome, duration, count], i) => {
    const entry = entries[i]!
    const counted = entry.findings.tone === undefined ? count ?? '' : ctx.paint(entry.findings.tone, count ?? '')
    lines.push(`  ${id}  ${event}  ${ctx.paint(OUTCOME_TONE[entry.script.outcome], outcome ?? '')}  ${duration}  ${counted}`.trimEnd())
    if (showsCommand(entry.script, ctx)) lines.push(`      ${ctx.paint('dim', `$ ${clean(entry.script.command)}`)}`)
  })
  return lines
}

const OUTPUT_LINES = 20

const renderEvidence = (evidence: Finding['evidence']): string[] =>
  Object.entries(evidence)
    .filter(([key]) => key !== 'fix')
    .map(([key, value]) => {
      const text = clean(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))
      return `      ${clean(key)}: ${text.length > EVIDENCE_MAX ? `${text.slice(0, EVIDENCE_MAX)}…` : text}`
    })

/** Messages usually name their package and hook already; prefix them only when they do not. */
const locate = (finding: Finding): string => {
  const id = finding.package.version === '' ? clean(finding.package.name) : idOf(finding.package)
  const event = finding.event === undefined ? '' : clean(finding.event)
  const named = finding.message.includes(id) && (event === '' || finding.message.includes(event))
  if (named) return ''
  return `${id}${event === '' ? '' : ` ${event}`}: `
}

const renderFinding = (finding: Finding, ctx: Context): string[] => {
  const action = finding.action === 'blocked' ? ' [blocked]' : ''
  const lines = [`  ${ctx.paint('bold', clean(finding.rule))}${action}  ${locate(finding)}${clean(finding.message)}`]
  const fix = fixFor(finding)
  if (fix !== undefined) lines.push(`    ${fix.label}: ${ctx.paint('cyan', clean(fix.command))}`)
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
 * The human summary printed after a command: header with the isolation really in force, a table
 * of the install scripts (outcome, time, findings), findings by severity each naming its package
 * and hook and ending with the command that fixes, approves or denies it, a count line, and next
 * steps for unreviewed scripts. Every package-provided field is stripped of control
 * characters and escape sequences first, so a package cannot forge or hide report lines.
 */
export const renderText = (report: Report, opts: TextOptions): string => {
  const ctx: Context = { ...opts, paint: makePaint(opts.color) }
  const lines = [
    ...renderHeader(report, ctx),
    '',
    ...(report.command === 'audit' ? renderInventory(report) : renderScripts(report, ctx)),
    ...renderFindings(report.command === 'audit' && !ctx.verbose ? report.findings.filter((f) => f.severity !== 'note') : report.findings, ctx),
    '',
    renderSummary(report, ctx),
    ...renderNextSteps(report, ctx),
  ]
  return `${lines.join('\n')}\n`
}

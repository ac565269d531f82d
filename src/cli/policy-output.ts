import type { LastRun, ListedPackage, PolicyListing } from '../policy/list-policy.js'
import type { ReviewedPackage, ReviewResult } from '../policy/review.js'
import type { AllowChange } from '../policy/allow-scripts-plan.js'
import type { PolicyResult } from '../policy/run-policy.js'
import { stripControlInline } from '../report/sanitize.js'
import { unifiedDiff } from './line-diff.js'

const REMOVED: Readonly<Record<Extract<AllowChange, { action: 'removed' }>['reason'], (key: string) => string>> = {
  'stale': (key) => `removed stale entry ${key} (that version is no longer installed)`,
  'replaced-by-pin': (key) => `removed ${key} (replaced by the pinned entries)`,
  'approved-by-name': (key) => `removed ${key} (approved by name instead)`,
  'superseded-by-deny': (key) => `removed ${key} (the package is now denied by name)`,
  'not-installed': (key) => `removed stale entry ${key} (package not installed)`,
  'no-scripts': (key) => `removed stale entry ${key} (no install scripts)`,
}

export const changeLine = (change: AllowChange): string => {
  const key = stripControlInline(change.key)
  if (change.action === 'removed') return REMOVED[change.reason](key)
  const from = change.from === undefined ? '' : ` (from ${stripControlInline(change.from)})`
  const note = change.note === undefined ? '' : `: ${stripControlInline(change.note)}`
  return `${change.action} ${key}${from}${note}`
}

/** The text a person reads: a line per change, what could not be imported and why, the diff with --dry-run, then what happened to which file. */
export const renderPolicyText = (result: PolicyResult): string => {
  const lines = result.changes.map(changeLine)
  for (const { decision, entry } of result.kept) {
    lines.push(`kept ${stripControlInline(entry)}: allowScripts already decides ${stripControlInline(decision.name)} (not imported from ${stripControlInline(decision.from)})`)
  }
  if (result.unmapped.length > 0) {
    lines.push('could not map:')
    for (const item of result.unmapped) lines.push(`  ${stripControlInline(item.from)}: ${stripControlInline(item.reason)}`)
  }
  if (result.tree === 'lockfile') lines.push('(no node_modules: installed versions read from package-lock.json)')
  for (const pin of result.pins?.pins ?? []) {
    lines.push(pin.skipped !== undefined ? `not pinned ${stripControlInline(pin.key)}: ${pin.skipped}`
      : pin.unchanged ? `pin of ${stripControlInline(pin.key)} unchanged` : `pinned ${stripControlInline(pin.key)}: its install code is ${pin.pin.slice(0, 19)}…`)
  }
  if (result.dryRun && result.after !== result.before) lines.push(renderDiff(result.before, result.after, 'package.json'))
  const count = `${result.changes.length} change${result.changes.length === 1 ? '' : 's'}`
  if (result.after === result.before) lines.push(`safe-install: nothing to change; ${result.file} unchanged`)
  else if (result.dryRun) lines.push(`safe-install: --dry-run: ${count} not written to ${result.file}`)
  else lines.push(`safe-install: wrote ${count} to ${result.file}`)
  const newPins = (result.pins?.pins ?? []).filter((pin) => !pin.unchanged && pin.skipped === undefined).length
  if (newPins > 0 && result.pins !== undefined) {
    lines.push(`safe-install: ${result.dryRun ? '--dry-run: would record' : 'recorded'} ${newPins} content pin${newPins === 1 ? '' : 's'} in ${result.pins.file}: the same install code in a later version keeps the approval, changed code is stopped with a diff`)
  }
  return `${lines.join('\n')}\n`
}

export const renderPolicyJson = (result: PolicyResult): string =>
  `${JSON.stringify({
    command: `policy ${result.action}`,
    file: result.file,
    dryRun: result.dryRun,
    written: result.written,
    tree: result.tree,
    changes: result.changes,
    warnings: result.warnings,
    unmapped: result.unmapped,
    kept: result.kept.map(({ decision, entry }) => ({ entry, name: decision.name, from: decision.from })),
    ...(result.action === 'import' ? { imported: result.imported } : {}),
    ...(result.pins === undefined ? {} : { pins: result.pins }),
    ...(result.dryRun ? { diff: renderDiff(result.before, result.after, 'package.json') } : {}),
  }, null, 2)}\n`

/** A unified diff of package.json before and after, two lines of context, control characters stripped. */
export const renderDiff = (before: string, after: string, name: string): string =>
  unifiedDiff(before, after, { before: name, after: name }, 2).replace(/\n$/, '').split('\n').map(stripControlInline).join('\n')

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`

const PIN_WORDS: Readonly<Record<ListedPackage['pin'], string>> = {
  unpinned: 'not pinned',
  match: 'pinned',
  carried: 'same install code as a pinned version',
  changed: 'install code CHANGED since approval',
}

const lastRunLine = (run: LastRun | undefined, hasReport: boolean): string => {
  if (run === undefined) return hasReport ? 'last run: not run by the last safe-install run' : 'last run: no report yet (safe-install install writes one)'
  const scripts = run.scripts.map((s) => `${s.event} ${s.outcome}${s.durationMs > 0 ? ` ${seconds(s.durationMs)}` : ''}`).join(', ')
  const hosts = run.egress.length === 0 ? 'no network' : `network: ${[...new Set(run.egress.map((e) => `${e.host}:${e.port} ${e.decision}`))].slice(0, 5).join(', ')}`
  const findings = run.findings.length === 0 ? 'no findings' : `findings: ${run.findings.slice(0, 4).map((f) => `${f.rule} (${f.severity})`).join(', ')}${run.findings.length > 4 ? `, and ${run.findings.length - 4} more` : ''}`
  return `last run: ${scripts} · ${hosts} · ${findings}`
}

/** `policy ls` as a person reads it: one block per package, then what to do next. */
export const renderListingText = (listing: PolicyListing): string => {
  const clean = stripControlInline
  const lines = [
    `safe-install policy ls: ${listing.packages.length} installed package${listing.packages.length === 1 ? '' : 's'} with install scripts in ${clean(listing.prefix)}`
    + ` (read from ${listing.tree}; policy ${clean(listing.policySource)}${listing.report === undefined ? '' : `; last run: ${listing.report.command} ${listing.report.startedAt}`})`,
  ]
  for (const pkg of listing.packages) {
    const by = pkg.entries.length === 0 ? '' : ` by ${pkg.entries.map((e) => `"${clean(e)}"`).join(', ')}`
    const used = pkg.requiredBy.length === 0 || (pkg.requiredBy.length === 1 && pkg.requiredBy[0] === '.') ? '' : ` · needed by ${pkg.requiredBy.map(clean).join(', ')}`
    lines.push('', `  ${clean(pkg.name)}@${clean(pkg.version)}  ${pkg.approval}${by} · ${PIN_WORDS[pkg.pin]}${pkg.pinKey === undefined || pkg.pin === 'match' ? '' : ` (${clean(pkg.pinKey)})`}${used}`)
    for (const [event, command] of Object.entries(pkg.scripts)) lines.push(`      ${event}: ${clean(command)}`)
    for (const change of pkg.changes ?? []) lines.push(`      changed: ${clean(change)}`)
    lines.push(`      ${pkg.approval === 'denied' && pkg.lastRun === undefined ? 'denied: never run' : clean(lastRunLine(pkg.lastRun, listing.report !== undefined))}`)
  }
  const pending = listing.packages.filter((p) => p.approval === 'unreviewed' || p.pin === 'changed').map((p) => clean(p.name))
  const unpinned = listing.packages.filter((p) => p.approval === 'approved' && p.pin === 'unpinned').map((p) => clean(p.name))
  lines.push('')
  if (pending.length > 0) {
    lines.push(`${pending.length} to review: safe-install policy review ${[...new Set(pending)].join(' ')}`,
      `  then approve (and pin) with safe-install policy approve <name>, or deny with safe-install policy deny <name>`)
  } else lines.push('Nothing waits for review.')
  if (unpinned.length > 0) lines.push(`${unpinned.length} approved without a content pin: safe-install policy approve ${[...new Set(unpinned)].join(' ')} pins what they run now`)
  return `${lines.join('\n')}\n`
}

export const renderListingJson = (listing: PolicyListing): string => `${JSON.stringify({ command: 'policy ls', ...listing }, null, 2)}\n`

const WHY: Readonly<Record<ReviewedPackage['why'], string>> = {
  unreviewed: 'not reviewed yet',
  changed: 'install code changed since approval',
  asked: 'asked for',
}

/** What each reviewed package tried, in the strictest sandbox, as a person reads it before deciding. */
export const renderReviewText = (review: ReviewResult): string => {
  const clean = stripControlInline
  if (review.packages.length === 0) return 'safe-install policy review: nothing waits for review (safe-install policy ls lists every package with install scripts)\n'
  const iso = review.isolation
  const lines = [`safe-install policy review: ran ${review.packages.length} package${review.packages.length === 1 ? '\'s' : 's\''} install scripts in a disposable copy`
    + (iso === undefined ? '' : ` (${iso.backend}, network ${iso.network}, tracer ${iso.tracer}; no grants, copy deleted)`)]
  for (const pkg of review.packages) {
    lines.push('', `${clean(pkg.name)}@${clean(pkg.version)} (${WHY[pkg.why]})`)
    for (const s of pkg.scripts) lines.push(`  ${s.event}: ${clean(s.command)} → ${s.outcome}${s.exitCode !== null && s.exitCode !== 0 ? ` (exit ${s.exitCode})` : ''} ${seconds(s.durationMs)}`)
    if (pkg.scripts.length === 0) lines.push('  no script ran')
    const hosts = [...new Set(pkg.egress.map((e) => `${e.protocol} ${e.host}${e.port > 0 ? `:${e.port}` : ''} (${e.decision})`))]
    lines.push(`  network: ${hosts.length === 0 ? 'nothing asked' : hosts.slice(0, 8).map(clean).join(', ') + (hosts.length > 8 ? `, and ${hosts.length - 8} more` : '')}`)
    if (pkg.findings.length === 0) lines.push('  tried nothing the rules flag')
    for (const f of pkg.findings.slice(0, 10)) lines.push(`  ${f.severity} ${f.rule}: ${clean(f.message)}`)
    if (pkg.findings.length > 10) lines.push(`  … and ${pkg.findings.length - 10} more findings (--json shows all)`)
    lines.push(`  → ${pkg.clean ? 'clean' : 'needs a closer look'}: safe-install policy approve ${clean(pkg.name)}  |  safe-install policy deny ${clean(pkg.name)}`)
  }
  return `${lines.join('\n')}\n`
}

export const renderReviewJson = (review: ReviewResult, decisions: readonly ReviewDecision[]): string =>
  `${JSON.stringify({ command: 'policy review', prefix: review.prefix, isolation: review.isolation, packages: review.packages, decisions }, null, 2)}\n`

export interface ReviewDecision {
  readonly name: string
  readonly decision: 'approved' | 'approved-with-grants' | 'denied' | 'skipped'
  readonly reason: string
}

/** What learn said for one reviewed package, indented under its name. */
export const renderDecisionGrants = (name: string, text: string): string =>
  `grants for ${stripControlInline(name)}:\n${text.replace(/\n$/, '').split('\n').map((line) => `  ${line}`).join('\n')}\n`

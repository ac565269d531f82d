import { describeIsolation } from '../report/isolation-lines.js'
import { placeFinding, type FindingPlaces } from '../report/locate.js'
import type { Finding, Report, Severity } from '../types.js'
import { formatAnnotation, type AnnotationLevel } from './workflow-command.js'
import { packageId } from '../report/package-id.js'

/** GitHub shows at most this many annotations of each level per step; the rest are dropped silently. */
export const ANNOTATIONS_PER_LEVEL = 10

/** Why the namespace sandbox was not in force, as the sandbox selection said it. */
export interface Degraded {
  readonly reason: string
  readonly fix: string
}

export interface AnnotationOptions {
  /** Where findings are placed, paths relative to the repository root. */
  readonly places: FindingPlaces
  /** Set when the run fell back from the namespace sandbox (install-like commands). */
  readonly degraded?: Degraded
  /** Why the install itself failed (exit 3), when it did: annotated as the first error. */
  readonly failure?: string
  /** Per level; {@link ANNOTATIONS_PER_LEVEL} unless a test says otherwise. */
  readonly perLevel?: number
}

const LEVEL: Readonly<Record<Severity, AnnotationLevel>> = { error: 'error', warning: 'warning', note: 'notice' }


const annotateFinding = (finding: Finding, places: FindingPlaces): string => {
  const { file, line } = placeFinding(finding, places)
  const fix = finding.evidence['fix']
  const message = typeof fix === 'string' && fix !== '' ? `${finding.message}\nFix: ${fix}` : finding.message
  return formatAnnotation(LEVEL[finding.severity], message, {
    title: `${finding.rule}: ${packageId(finding.package)}`,
    file,
    ...(line === undefined ? {} : { line }),
  })
}

/**
 * The annotation about isolation, when the run had less than the full sandbox: a warning when
 * the namespace sandbox (or its network capture) was not in force, naming each missing layer and
 * the fix; a notice when only the tracer is weaker. `undefined` for audit and full isolation.
 */
const annotateIsolation = (report: Report, degraded: Degraded | undefined): { level: AnnotationLevel; line: string } | undefined => {
  if (report.command === 'audit') return undefined
  const { gaps } = describeIsolation(report.command, report.isolation)
  const layers = gaps.length === 0 ? '' : `\nWeaker layers:\n${gaps.map((gap) => `- ${gap}`).join('\n')}`
  if (degraded !== undefined || report.isolation.backend === 'none') {
    const why = degraded === undefined ? 'no namespace sandbox on this runner' : degraded.reason
    const fix = degraded === undefined ? 'run safe-install doctor on the runner' : degraded.fix
    return {
      level: 'warning',
      line: formatAnnotation('warning',
        `Install scripts ran with reduced isolation: ${why}.${layers}\nFix: ${fix}\nPass --require-isolation to fail the job instead (exit 4).`,
        { title: report.isolation.backend === 'none' ? 'safe-install: namespace sandbox not in force' : 'safe-install: isolation degraded' }),
    }
  }
  if (gaps.length === 0) return undefined
  return {
    level: 'notice',
    line: formatAnnotation('notice', `Install scripts ran in the namespace sandbox, but:${layers}\nFix: install strace on the runner (sudo apt-get install -y strace) so that every hook is traced.`,
      { title: 'safe-install: tracer limited' }),
  }
}

/** Annotation lines of one severity, identical ones once (a hook that retries makes the same finding again). */
const linesOf = (report: Report, severity: Severity, places: FindingPlaces): string[] =>
  [...new Set(report.findings.filter((f) => f.severity === severity).map((f) => annotateFinding(f, places)))]

/**
 * Workflow-command lines for a report: the isolation annotation first, then why the install
 * failed (when it did), then findings, errors
 * before warnings before notes (notices), identical lines once, at most
 * {@link ANNOTATIONS_PER_LEVEL} of each level as GitHub displays; when some are left out, a last
 * notice says how many, and where they all are. Each finding is placed at its lockfile line (or
 * its script file for static-* audit findings) and titled with its rule id and package. Pure;
 * one string per line.
 */
export const renderAnnotations = (report: Report, opts: AnnotationOptions): string[] => {
  const cap = opts.perLevel ?? ANNOTATIONS_PER_LEVEL
  const isolation = annotateIsolation(report, opts.degraded)
  const failure = opts.failure === undefined ? [] : [formatAnnotation('error', opts.failure, { title: 'safe-install: install failed' })]
  const room = (level: Severity): number => cap - (LEVEL[level] === isolation?.level ? 1 : 0) - (level === 'error' ? failure.length : 0)
  const all = { error: linesOf(report, 'error', opts.places), warning: linesOf(report, 'warning', opts.places), note: linesOf(report, 'note', opts.places) }
  const overflows = all.error.length > room('error') || all.warning.length > room('warning') || all.note.length > room('note')
  const shown: Record<Severity, string[]> = {
    error: all.error.slice(0, room('error')),
    warning: all.warning.slice(0, room('warning')),
    // The closing notice needs one notice slot of its own.
    note: all.note.slice(0, Math.max(0, room('note') - (overflows ? 1 : 0))),
  }
  const left = { error: all.error.length - shown.error.length, warning: all.warning.length - shown.warning.length, note: all.note.length - shown.note.length }
  const omitted = left.error + left.warning + left.note
  return [
    ...(isolation === undefined ? [] : [isolation.line]),
    ...failure,
    ...shown.error, ...shown.warning, ...shown.note,
    ...(omitted === 0 ? [] : [formatAnnotation('notice',
      `${omitted} more findings were not annotated (${left.error} errors, ${left.warning} warnings, ${left.note} notes): GitHub shows ${cap} annotations of each kind per step. All findings are in the step summary, the log above and the SARIF/JSON report.`,
      { title: 'safe-install: more findings' })]),
  ]
}

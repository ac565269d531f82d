import { stripControlInline as clean } from '../report/sanitize.js'
import { formatDuration, plural, type Paint } from '../report/text-style.js'
import type { BoundedList, HookActivity } from '../trace/activity.js'
import type { EgressEvent, PackageRecord, ScriptRun } from '../types.js'

/** The lines of the progress output, pure: the renderer (progress.ts) decides where and when. */

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const

/** Lines of activity shown per hook with --verbose, then "and N more". */
export const ACTIVITY_LINES = 20

/** A script command or an egress path is cut to this on a progress line. */
const TEXT_MAX = 120

const cut = (text: string, max = TEXT_MAX): string => {
  const cleaned = clean(text)
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned
}

export const hookId = (pkg: Pick<PackageRecord, 'name' | 'version'>): string =>
  clean(`${pkg.name}${pkg.version === '' ? '' : `@${pkg.version}`}`)

const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)}s`

/** `⠋ esbuild@0.25.12 postinstall 1.2s  node install.js`: a hook still running (live block). */
export const runningLine = (
  hook: { readonly pkg: Pick<PackageRecord, 'name' | 'version'>; readonly event: string; readonly command: string },
  elapsedMs: number,
  frame: number,
  paint: Paint,
): string =>
  `${paint('cyan', SPINNER[frame % SPINNER.length] ?? '-')} ${hookId(hook.pkg)} ${clean(hook.event)} ${paint('dim', seconds(elapsedMs))}  ${paint('dim', cut(hook.command))}`

/** `3/14 scripts done · 2 running`; without a total when none was known, or the count outgrew it. */
export const countLine = (done: number, total: number | undefined, running: number): string =>
  `${total === undefined ? plural(done, 'script') : `${done}/${total} scripts`} done${running > 0 ? ` · ${running} running` : ''}`

/** What happened to a hook, in a few words: `failed (exit 1)`, `blocked: <reason>` ... */
export const outcomeWords = (run: ScriptRun): string => {
  const { outcome } = run
  const reason = outcome.reason === undefined || outcome.reason === '' ? '' : `: ${clean(outcome.reason)}`
  switch (outcome.outcome) {
    case 'ok':
      return 'ok'
    case 'failed':
      return `failed (${outcome.signal !== undefined ? outcome.signal : `exit ${String(outcome.exitCode)}`})`
    case 'timeout':
      return 'timed out'
    case 'blocked':
      return `blocked${reason}`
    case 'skipped':
      return `skipped${reason}`
  }
}

const MARK: Readonly<Record<ScriptRun['outcome']['outcome'], { readonly mark: string; readonly tone: 'green' | 'red' | 'yellow' }>> = {
  ok: { mark: '✓', tone: 'green' },
  failed: { mark: '✗', tone: 'red' },
  timeout: { mark: '✗', tone: 'red' },
  blocked: { mark: '⊘', tone: 'red' },
  skipped: { mark: '–', tone: 'yellow' },
}

const ran = (run: ScriptRun): boolean => run.outcome.outcome !== 'skipped' && run.outcome.outcome !== 'blocked'

/** `✓ esbuild@0.25.12 postinstall 0.4s`, `✗ … failed (exit 1) 0.4s`, `⊘ … blocked: reason`: a hook that ended (terminal). */
export const endedLine = (run: ScriptRun, paint: Paint): string => {
  const { mark, tone } = MARK[run.outcome.outcome]
  const words = run.outcome.outcome === 'ok' ? '' : ` ${paint(tone, outcomeWords(run))}`
  const time = ran(run) ? ` ${paint('dim', formatDuration(run.outcome.durationMs))}` : ''
  return `${paint(tone, mark)} ${hookId(run.pkg)} ${clean(run.outcome.event)}${words}${time}`
}

/** `safe-install: esbuild@0.25.12 postinstall: ok (0.4s) [3/14 done]`: a hook that ended (plain lines). */
export const endedPlainLine = (run: ScriptRun, count: string): string => {
  const time = ran(run) ? ` (${formatDuration(run.outcome.durationMs)})` : ''
  return `safe-install: ${hookId(run.pkg)} ${clean(run.outcome.event)}: ${outcomeWords(run)}${time} [${count}]`
}

/** `safe-install: running esbuild@0.25.12 postinstall: node install.js` (plain lines). */
export const startedPlainLine = (hook: { readonly pkg: Pick<PackageRecord, 'name' | 'version'>; readonly event: string; readonly command: string }): string =>
  `safe-install: running ${hookId(hook.pkg)} ${clean(hook.event)}: ${cut(hook.command)}`

const size = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`

const egressText = (event: EgressEvent): string => {
  const target = event.host.includes(':') ? `[${event.host}]:${event.port}` : `${event.host}:${event.port}`
  const request = event.method === undefined ? '' : ` ${event.method}${event.path === undefined ? '' : ` ${event.path}`}`
  const bytes = event.protocol === 'dns' ? '' : ` (${size(event.bytesOut)} out, ${size(event.bytesIn)} in)`
  return cut(`${event.decision} ${event.protocol} ${target}${request}${bytes}`, 200)
}

/**
 * What a hook did, for --verbose: the tracer's programs, files, sockets and names, then its
 * egress; at most {@link ACTIVITY_LINES} lines, then how many more there were. Each line is
 * `<what>: <entry>`, package-provided text cleaned of control characters. No lines for a hook
 * that did not run.
 */
export const activityLines = (activity: HookActivity | undefined): string[] => {
  if (activity === undefined) return []
  const groups: Array<readonly [string, BoundedList<string>]> = activity.trace === undefined ? [] : [
    ['ran', activity.trace.processes],
    ['read', activity.trace.reads],
    ['wrote', activity.trace.writes],
    ['connected', activity.trace.connections],
    ['looked up', activity.trace.dns],
  ]
  const egress: BoundedList<string> = { ...activity.egress, items: activity.egress.items.map(egressText) }
  const all = [...groups, ['egress', egress] as const]
  const lines: string[] = activity.trace === undefined ? ['trace: none (no tracer for this hook)'] : []
  let hidden = 0
  let capped = false
  for (const [label, list] of all) {
    const room = Math.max(0, ACTIVITY_LINES - lines.length)
    for (const item of list.items.slice(0, room)) lines.push(`${label}: ${cut(item, 300)}`)
    hidden += list.total - Math.min(room, list.items.length)
    capped ||= list.capped
  }
  if (activity.egress.total === 0 && lines.length < ACTIVITY_LINES) lines.push('egress: none')
  if (hidden > 0) lines.push(`… and ${hidden}${capped ? '+' : ''} more`)
  return lines
}

import { stripControlInline } from '../report/sanitize.js'
import { alignColumns, makePaint, type Tone } from '../report/text-style.js'
import type { CheckStatus, DoctorResult } from './types.js'

const MARKS: Readonly<Record<CheckStatus, { readonly symbol: string; readonly word: string; readonly tone: Tone }>> = {
  ok: { symbol: '✓', word: 'ok', tone: 'green' },
  degraded: { symbol: '!', word: 'degraded', tone: 'yellow' },
  missing: { symbol: '✗', word: 'missing', tone: 'red' },
}

const clean = stripControlInline

const hostLine = (result: DoctorResult): string => {
  const { host } = result
  const who = host.uid === null ? '' : `, uid ${host.uid}`
  const where = host.container.kind === null ? '' : `, in a ${host.container.kind} container`
  return `safe-install doctor: ${host.platform} ${host.kernel} ${host.arch}${who}${where}`
}

/**
 * The readable diagnosis (pure): one line per layer (✓ ! ✗ with colour, else the status as a
 * word), why and fix indented under each layer that is not ok, then what an install here gets.
 * `verbose` also says what every layer gives.
 */
export const renderDoctorText = (result: DoctorResult, options: { readonly color: boolean; readonly verbose: boolean }): string => {
  const paint = makePaint(options.color)
  const mark = (status: CheckStatus): string => (options.color ? MARKS[status].symbol : MARKS[status].word)
  const rows = alignColumns(result.checks.map((c) => [mark(c.status), c.title, clean(c.detail)]))
  const out = [hostLine(result), '']
  // One cause often stops several layers: its why and fixes are printed once, under the first.
  const explained = new Map<string, string>()
  result.checks.forEach((c, i) => {
    const [first = '', ...rest] = rows[i] ?? []
    out.push(`${paint(MARKS[c.status].tone, first)} ${paint('bold', rest[0] ?? '')} ${rest.slice(1).join(' ')}`.trimEnd())
    if (c.status !== 'ok' || options.verbose) out.push(`    gives: ${c.gives}`)
    if (c.reason === null) return
    const key = JSON.stringify([c.reason, c.fix])
    const earlier = explained.get(key)
    if (earlier !== undefined) {
      out.push(`    why: as for ${earlier} above`)
      return
    }
    explained.set(key, c.title)
    out.push(`    why: ${clean(c.reason)}`)
    for (const fix of c.fix) out.push(`    fix: ${clean(fix)}`)
  })
  const { sandbox } = result
  out.push('', `${paint('bold', 'an install here gets')} ${sandbox.line}`)
  if (sandbox.namespace) out.push(`  transparent capture: ${sandbox.transparentCapture ? 'on' : 'off'}`)
  if (sandbox.warning !== null) {
    out.push(`  ${paint('yellow', 'warning')}: ${clean(sandbox.warning.reason)}`, `    fix: ${clean(sandbox.warning.fix)}`)
  }
  for (const gap of sandbox.gaps) out.push(`  gap: ${gap}`)
  const strict = sandbox.requireIsolation
  const sameAsWarning = sandbox.warning !== null && strict.reason?.endsWith(sandbox.warning.reason) === true
  out.push(strict.wouldPass
    ? '  --require-isolation: an install with it runs here'
    : `  --require-isolation: an install with it stops here (exit 4): ${sameAsWarning ? 'the namespace sandbox could not be set up (the warning above)' : clean(strict.reason ?? '')}`)
  return `${out.join('\n')}\n`
}

/** `--format json`: the result as is (schemas/doctor.schema.json), 2-space indent, trailing newline. */
export const renderDoctorJson = (result: DoctorResult): string => `${JSON.stringify(result, null, 2)}\n`

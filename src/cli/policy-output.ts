import type { AllowChange } from '../policy/allow-scripts-plan.js'
import type { PolicyResult } from '../policy/run-policy.js'
import { stripControlInline } from '../report/sanitize.js'

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
  if (result.dryRun && result.after !== result.before) lines.push(renderDiff(result.before, result.after, 'package.json'))
  const count = `${result.changes.length} change${result.changes.length === 1 ? '' : 's'}`
  if (result.after === result.before) lines.push(`safe-install: nothing to change; ${result.file} unchanged`)
  else if (result.dryRun) lines.push(`safe-install: --dry-run: ${count} not written to ${result.file}`)
  else lines.push(`safe-install: wrote ${count} to ${result.file}`)
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
    ...(result.dryRun ? { diff: renderDiff(result.before, result.after, 'package.json') } : {}),
  }, null, 2)}\n`

/**
 * A unified diff of package.json before and after (one hunk around the changed lines, two lines of
 * context). The middle is compared line by line (longest common subsequence): package.json is small.
 */
export const renderDiff = (before: string, after: string, name: string): string => {
  if (before === after) return ''
  const a = before.split(/\r?\n/)
  const b = after.split(/\r?\n/)
  if (a.at(-1) === '' && b.at(-1) === '') {
    a.pop()
    b.pop()
  }
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1
  const from = Math.max(0, head - 2)
  const aEnd = Math.min(a.length, a.length - tail + 2)
  const bEnd = Math.min(b.length, b.length - tail + 2)
  const body = [
    ...a.slice(from, head).map((line) => ` ${line}`),
    ...diffLines(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
    ...a.slice(a.length - tail, aEnd).map((line) => ` ${line}`),
  ]
  return [`--- ${name}`, `+++ ${name}`, `@@ -${from + 1},${aEnd - from} +${from + 1},${bEnd - from} @@`, ...body].map(stripControlInline).join('\n')
}

const diffLines = (a: readonly string[], b: readonly string[]): string[] => {
  if (a.length * b.length > 1_000_000) return [...a.map((line) => `-${line}`), ...b.map((line) => `+${line}`)]
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const row = common[i] ?? []
      row[j] = a[i] === b[j] ? (common[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(common[i + 1]?.[j] ?? 0, row[j + 1] ?? 0)
    }
  }
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i] ?? ''}`)
      i += 1
      j += 1
    } else if (i < a.length && (j >= b.length || (common[i + 1]?.[j] ?? 0) >= (common[i]?.[j + 1] ?? 0))) {
      out.push(`-${a[i] ?? ''}`)
      i += 1
    } else {
      out.push(`+${b[j] ?? ''}`)
      j += 1
    }
  }
  return out
}

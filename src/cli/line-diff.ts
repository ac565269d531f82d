/** A unified diff of two small texts, line by line (pure): what `policy learn --dry-run` shows. */

type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string }

/** Longest-common-subsequence edit script; texts past ~2000×2000 lines are shown as replaced whole. */
const editScript = (a: readonly string[], b: readonly string[]): Op[] => {
  if (a.length * b.length > 4_000_000) return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))]
  const width = b.length + 1
  const lcs = new Uint32Array((a.length + 1) * width)
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i * width + j] = a[i] === b[j] ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1 : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0)
    }
  }
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] ?? '' })
      i += 1
      j += 1
    } else if (i < a.length && (j >= b.length || (lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0))) {
      ops.push({ kind: '-', line: a[i] ?? '' })
      i += 1
    } else {
      ops.push({ kind: '+', line: b[j] ?? '' })
      j += 1
    }
  }
  return ops
}

const linesOf = (text: string): string[] => (text === '' ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n'))

/**
 * `--- before` / `+++ after` and hunks with `context` unchanged lines around each change; empty
 * when the texts are equal. `before` null: a new file (`--- /dev/null`).
 */
export const unifiedDiff = (before: string | null, after: string, names: { readonly before: string; readonly after: string }, context = 3): string => {
  const ops = editScript(linesOf(before ?? ''), linesOf(after))
  if (ops.every((op) => op.kind === ' ')) return ''
  const out = [`--- ${before === null ? '/dev/null' : names.before}`, `+++ ${names.after}`]
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0)
  let k = 0
  while (k < changed.length) {
    const first = changed[k] ?? 0
    let last = first
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - last <= 2 * context) last = changed[(k += 1)] ?? last
    k += 1
    const from = Math.max(0, first - context)
    const to = Math.min(ops.length, last + context + 1)
    const lineAt = (end: number, kind: '-' | '+'): number => ops.slice(0, end).filter((op) => op.kind !== (kind === '-' ? '+' : '-')).length
    const hunk = ops.slice(from, to)
    const oldCount = hunk.filter((op) => op.kind !== '+').length
    const newCount = hunk.filter((op) => op.kind !== '-').length
    const oldStart = lineAt(from, '-') + (oldCount === 0 ? 0 : 1)
    const newStart = lineAt(from, '+') + (newCount === 0 ? 0 : 1)
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...hunk.map((op) => `${op.kind}${op.line}`))
  }
  return `${out.join('\n')}\n`
}

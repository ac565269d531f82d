// Small statistics for the micro-benchmarks (plain Node ESM, no dependencies).

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median (values) {
  const s = [...values].sort((x, y) => x - y)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile (values, p) {
  const s = [...values].sort((x, y) => x - y)
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(s.length, rank) - 1]
}

/** Rotate a list by `by` places: run i starts with variant i mod n, so no variant always goes first. */
export function rotate (list, by) {
  const k = ((by % list.length) + list.length) % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/** Milliseconds since `start` (a performance.now() value), as a number. */
export const since = (start) => performance.now() - start

/** A plain-text table: header row, rule, rows; numbers should already be strings. */
export function textTable (header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = cells => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** A Markdown table; `align` is one of 'l' / 'r' per column. */
export function markdownTable (header, align, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.map(a => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map(r => `| ${r.join(' | ')} |`),
  ].join('\n')
}

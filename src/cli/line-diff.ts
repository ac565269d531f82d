import { structuredPatch } from 'diff'

/** A unified diff of two small texts (jsdiff), as `policy learn --dry-run` and `policy approve --dry-run` show it. */

const normal = (text: string): string => text.replace(/\r\n/g, '\n')

/**
 * `--- before` / `+++ after` and hunks with `context` unchanged lines around each change; empty
 * when the texts are equal. `before` null: a new file (`--- /dev/null`).
 */
export const unifiedDiff = (before: string | null, after: string, names: { readonly before: string; readonly after: string }, context = 3): string => {
  if (before !== null && normal(before) === normal(after)) return ''
  const patch = structuredPatch(names.before, names.after, normal(before ?? ''), normal(after), undefined, undefined, { context })
  // GNU diff numbers an empty side by the line before it (0 at the top); jsdiff by the line after.
  const start = (line: number, count: number): number => (count === 0 ? line - 1 : line)
  const hunks = patch.hunks.flatMap((hunk) => [
    `@@ -${start(hunk.oldStart, hunk.oldLines)},${hunk.oldLines} +${start(hunk.newStart, hunk.newLines)},${hunk.newLines} @@`, ...hunk.lines,
  ])
  return `${[`--- ${before === null ? '/dev/null' : names.before}`, `+++ ${names.after}`, ...hunks].join('\n')}\n`
}

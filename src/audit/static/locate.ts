import type { SourcePosition } from './types.js'

const SNIPPET_MAX = 160
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g

/** Printable, one line, at most SNIPPET_MAX characters: snippets reach terminals and reports. */
export const cleanSnippet = (text: string): string => {
  const flat = text.replace(/[\t\r\n]/g, ' ').replace(CONTROL, '?').trim()
  return flat.length > SNIPPET_MAX ? `${flat.slice(0, SNIPPET_MAX - 1)}…` : flat
}

/** Offsets of line starts, for turning character offsets into 1-based lines and columns. */
export interface LineIndex {
  readonly text: string
  readonly starts: readonly number[]
}

export const indexLines = (text: string): LineIndex => {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return { text, starts }
}

const lineOf = (index: LineIndex, offset: number): number => {
  let low = 0
  let high = index.starts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if ((index.starts[mid] ?? 0) <= offset) low = mid
    else high = mid - 1
  }
  return low
}

/** The position of a character offset, with the line around it (cut near the offset on long lines). */
export const positionAt = (index: LineIndex, file: string, offset: number): SourcePosition => {
  const line = lineOf(index, Math.max(0, Math.min(offset, index.text.length)))
  const start = index.starts[line] ?? 0
  const nextStart = index.starts[line + 1]
  const end = nextStart === undefined ? index.text.length : nextStart - 1
  const column = offset - start
  const from = end - start > SNIPPET_MAX && column > 40 ? Math.max(start, offset - 40) : start
  return { file, line: line + 1, column: column + 1, snippet: cleanSnippet(index.text.slice(from, Math.min(end, from + SNIPPET_MAX * 2))) }
}

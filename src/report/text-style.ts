/** Terminal styling and layout helpers of the text report. ANSI codes only when `color` is on. */

export type Tone = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'

const SGR: Readonly<Record<Tone, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
}

export type Paint = (tone: Tone, text: string) => string

export const makePaint = (color: boolean): Paint =>
  color ? (tone, text) => `\u001b[${SGR[tone][0]}m${text}\u001b[${SGR[tone][1]}m` : (_tone, text) => text

export const plural = (count: number, singular: string, pluralForm = `${singular}s`): string =>
  `${count} ${count === 1 ? singular : pluralForm}`

export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
}

/** Pads every column but the last to its widest cell; cells must be plain text (no ANSI). */
export const alignColumns = (rows: readonly (readonly string[])[]): string[][] => {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))))
}

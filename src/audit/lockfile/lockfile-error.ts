import { SafeInstallError } from '../../errors.js'
import type { LockFormat } from './model.js'

/** 1-based. */
export interface Position {
  readonly line: number
  readonly column: number
}

/**
 * A lockfile that cannot be read as its format says, with where and what to do:
 * `<file>:<line>:<column>: <reason> — <fix>`, one line. A SafeInstallError (ELOCKFILE, exit 2), so the
 * CLI prints the message and no stack; the fix is in the message, so `hint` stays empty.
 */
export class LockfileError extends SafeInstallError {
  readonly line: number
  readonly column: number

  constructor(
    readonly file: string,
    at: Position,
    readonly reason: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super('ELOCKFILE', `${oneLine(file)}:${at.line}:${at.column}: ${oneLine(reason)} — ${oneLine(fix)}`, undefined, options)
    this.name = 'LockfileError'
    this.line = at.line
    this.column = at.column
  }
}

const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')

/** A key or value from the file, quoted and cut short, safe to put in a message. */
export const quote = (text: string): string => JSON.stringify(text.length > 100 ? `${text.slice(0, 97)}...` : text)

/** What a value read from the file is, for a message: `a string "x"`, `number 3`, `an object` ... */
export const describeType = (value: unknown): string => {
  switch (typeof value) {
    case 'string':
      return `a string ${quote(value)}`
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`
    case 'undefined':
      return 'missing'
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
    case 'bigint':
    case 'symbol':
    case 'function':
      return typeof value
  }
}

const REGENERATE: Readonly<Record<LockFormat, string>> = {
  npm: 'restore it from version control, or regenerate it with `npm install --package-lock-only` and review the diff',
  'yarn-classic': 'restore it from version control, or regenerate it with `yarn install` (yarn 1) and review the diff',
  'yarn-berry': 'restore it from version control, or regenerate it with `yarn install --mode=update-lockfile` and review the diff',
  pnpm: 'restore it from version control, or regenerate it with `pnpm install --lockfile-only` and review the diff',
  bun: 'restore it from version control, or regenerate it with `bun install` and review the diff',
}

/** The usual fix for a lockfile a tool did not write that way. */
const regenerateHint = (format: LockFormat): string => REGENERATE[format]

/** Offsets to 1-based line and column, from line starts computed once: O(log lines) per lookup. */
export interface LineIndex {
  position(offset: number): Position
}

/** Built on the first lookup, so a reader that knows its lines already pays nothing unless it fails. */
export const indexLines = (text: string): LineIndex => {
  let starts: number[] | undefined
  return {
    position(offset: number): Position {
      starts ??= lineStarts(text)
      let low = 0
      let high = starts.length - 1
      while (low < high) {
        const mid = (low + high + 1) >> 1
        if ((starts[mid] ?? 0) <= offset) low = mid
        else high = mid - 1
      }
      return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 }
    },
  }
}

const lineStarts = (text: string): number[] => {
  const starts: number[] = [0]
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1)
  return starts
}

/** Where a reader reports to: the file, its format and its line index. */
export interface ReadContext {
  readonly file: string
  readonly format: LockFormat
  readonly lines: LineIndex
}

/** A LockfileError at an offset or a position, with the format's regenerate hint unless a fix is given. */
export const failAt = (context: ReadContext, at: number | Position, reason: string, fix?: string): LockfileError =>
  new LockfileError(context.file, typeof at === 'number' ? context.lines.position(at) : at, reason, fix ?? regenerateHint(context.format))

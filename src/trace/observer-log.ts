import type { ObservedEvent } from './observed.js'

/**
 * The Node preload observer's side in safe-install: the NODE_OPTIONS that load libexec/observer.cjs
 * into a hook's node processes, and a streaming parser of the JSON lines it appends to the file named
 * by SAFE_INSTALL_OBSERVE (the format is documented at the top of observer.cjs).
 *
 * The hook can write that file too, so every line is hostile input: each field's type, range and
 * the exact set of keys are checked, and anything else is counted in `stats().malformed`, never thrown.
 * Memory stays bounded: a line longer than `maxLineBytes` is skipped as it arrives, not buffered.
 */

/** The variable naming the log file; the observer does nothing without it. */
export const OBSERVER_ENV = 'SAFE_INSTALL_OBSERVE'

export interface ObserverLogStats {
  /** Events emitted. */
  readonly events: number
  /** Lines that are not a valid observer line (JSON, key set, field types and ranges). */
  readonly malformed: number
  /** Lines longer than `maxLineBytes`, skipped. */
  readonly overlong: number
  /** Processes that reached the observer's event limit: what they did after it was not recorded. */
  readonly dropped: number
}

export interface ObserverParserOptions {
  /** Longest line read, in bytes (default 4096; the observer writes lines under 4000). */
  readonly maxLineBytes?: number
}

export interface ObserverParser {
  /** Chunks may split lines, and UTF-8 characters, anywhere. */
  push(chunk: string | Uint8Array): void
  /** Parses a last line without a newline. */
  end(): void
  stats(): ObserverLogStats
}

const DEFAULT_MAX_LINE = 4096
const NEWLINE = 0x0a

export const createObserverParser = (
  onEvent: (event: ObservedEvent) => void,
  options: ObserverParserOptions = {},
): ObserverParser => {
  const maxLine = Math.max(64, options.maxLineBytes ?? DEFAULT_MAX_LINE)
  const counts = { events: 0, malformed: 0, overlong: 0, dropped: 0 }
  let parts: Buffer[] = []
  let length = 0
  let skipping = false
  let ended = false

  const line = (bytes: Buffer): void => {
    const text = bytes.toString('utf8').replace(/\r$/, '')
    if (text.trim() === '') return
    const parsed = parseLine(text)
    if (parsed === 'dropped') counts.dropped += 1
    else if (parsed === null) counts.malformed += 1
    else {
      counts.events += 1
      onEvent(parsed)
    }
  }

  const append = (piece: Buffer): void => {
    if (skipping || piece.length === 0) return
    if (length + piece.length > maxLine) {
      parts = []
      length = 0
      skipping = true
      counts.overlong += 1
      return
    }
    parts.push(piece)
    length += piece.length
  }

  const finishLine = (): void => {
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, length)
    const wasSkipping = skipping
    parts = []
    length = 0
    skipping = false
    if (!wasSkipping && whole !== undefined) line(whole)
  }

  return {
    push: (chunk) => {
      if (ended) throw new Error('observer log parser: push() after end()')
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      let from = 0
      for (let newline = bytes.indexOf(NEWLINE); newline >= 0; newline = bytes.indexOf(NEWLINE, from)) {
        append(bytes.subarray(from, newline))
        finishLine()
        from = newline + 1
      }
      // A piece kept across pushes is copied: a view would hold on to the whole chunk.
      if (from < bytes.length) append(Buffer.from(bytes.subarray(from)))
    },
    end: () => {
      if (ended) return
      ended = true
      if (length > 0 || skipping) finishLine()
    },
    stats: () => ({ ...counts }),
  }
}

/** NODE_OPTIONS that preload the observer before `existing` (kept as it is, unless it already does). */
export const observerNodeOptions = (existing: string | undefined, observerPath: string): string => {
  const preload = `--require ${quoteNodeOption(observerPath)}`
  const rest = existing?.trim() ?? ''
  if (rest.includes(preload)) return rest
  return rest === '' ? preload : `${preload} ${rest}`
}

/**
 * A value in NODE_OPTIONS: double quotes keep spaces, and inside them a backslash takes the next
 * character as it is, so `"` and `\` are escaped (a Windows path's `C:\x` would otherwise lose its `\`).
 */
const quoteNodeOption = (value: string): string => `"${value.replace(/["\\]/g, '\\$&')}"`

type Fields = Readonly<Record<string, unknown>>

const BASE_KEYS = ['kind', 'pid', 'time', 'op', 'errno']
const KIND_KEYS: Readonly<Record<string, readonly string[]>> = {
  path: ['access', 'path'],
  exec: ['file', 'argv'],
  socket: ['family', 'protocol', 'address', 'port'],
  dns: ['name'],
  process: ['ppid', 'argv', 'cwd'],
  dropped: ['limit'],
}
const OP = /^[A-Za-z0-9_.]{1,100}$/
const ERRNO = /^[A-Z][A-Z0-9_]{0,63}$/
/** Later than any real event (year 5138): a bigger time is not one the observer wrote. */
const MAX_TIME = 1e11
const MAX_PID = 0xffffffff
const ACCESS = ['read', 'write', 'stat', 'exec'] as const
const FAMILIES = ['ipv4', 'ipv6', 'unix', 'host'] as const
const PROTOCOLS = ['tcp', 'udp', 'unix', 'unknown'] as const

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')
const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value)

/** One line as an event, `dropped`, or null when it is not a valid observer line. */
const parseLine = (text: string): ObservedEvent | 'dropped' | null => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const fields = value as Fields
  const kind = fields['kind']
  const extra = typeof kind === 'string' && Object.hasOwn(KIND_KEYS, kind) ? KIND_KEYS[kind] : undefined
  if (extra === undefined || !Object.keys(fields).every((key) => BASE_KEYS.includes(key) || extra.includes(key))) return null
  const { pid, time, op, errno } = fields
  if (!isInteger(pid, 1, MAX_PID) || typeof time !== 'number' || !(time >= 0 && time < MAX_TIME) || typeof op !== 'string' || !OP.test(op)) return null
  if (errno !== undefined && !(typeof errno === 'string' && ERRNO.test(errno))) return null
  const base = { pid, time, op, ...(errno === undefined ? {} : { errno }) }
  switch (kind) {
    case 'path': {
      const { access, path } = fields
      return oneOf(ACCESS, access) && isText(path) ? { ...base, kind, access, path } : null
    }
    case 'exec': {
      const { file, argv } = fields
      return isText(file) && isTextList(argv) ? { ...base, kind, file, argv } : null
    }
    case 'socket': {
      const { family, protocol, address, port } = fields
      return oneOf(FAMILIES, family) && oneOf(PROTOCOLS, protocol) && typeof address === 'string' && isInteger(port, 0, 65535)
        ? { ...base, kind, family, protocol, address, port } : null
    }
    case 'dns': {
      const { name } = fields
      return typeof name === 'string' ? { ...base, kind, name } : null
    }
    case 'process': {
      const { ppid, argv, cwd } = fields
      return isInteger(ppid, 0, MAX_PID) && isTextList(argv) && typeof cwd === 'string' ? { ...base, kind, ppid, argv, cwd } : null
    }
    case 'dropped':
      return fields['limit'] === undefined || isInteger(fields['limit'], 0, Number.MAX_SAFE_INTEGER) ? 'dropped' : null
    default:
      return null
  }
}

/**
 * A streaming parser of `strace -f -qq -ttt -s N -o FILE` output (with or without -y and -D), pure
 * and incremental.
 *
 * - Chunks may split lines anywhere. Bytes are read as latin1: strace escapes every non-ASCII
 *   byte, and a string argument's escapes are turned back into bytes, then read as UTF-8.
 * - Memory stays bounded: a line longer than `maxLineBytes` keeps only its start (the rest is
 *   dropped as it arrives) and is reported as a `partial` event, so a huge argv cannot hide an exec.
 * - `<unfinished ...>` / `<... name resumed>` pairs are joined per pid, including the execve of a
 *   non-leader thread, which resumes under the leader's pid (`+++ superseded by execve in pid N +++`).
 * - -y's descriptor annotations (`3</dir>`, `AT_FDCWD</cwd>`) are read whole, commas and parens in
 *   the name included, and decoded into TracedPath.dir.
 * - A line that is not strace syntax is counted in `stats().malformed` and skipped, never thrown.
 */

export type StraceArg =
  | { readonly kind: 'string'; readonly value: string; readonly truncated: boolean }
  | { readonly kind: 'array'; readonly items: readonly StraceArg[]; readonly truncated: boolean }
  /** Unnamed fields are keyed `#<position>`, except `inet_pton(..., &sin6_addr)`, keyed by its target. */
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, StraceArg>>; readonly truncated: boolean }
  /** `htons(443)`, `inet_addr("127.0.0.1")`, `makedev(0x1, 0x3)`, `if_nametoindex("lo")`. */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly StraceArg[] }
  /** Anything else, as printed: `AT_FDCWD`, `O_RDONLY|O_CLOEXEC`, `0644`, `NULL`, `0x7ffc /* 39 vars *\/`. */
  | { readonly kind: 'raw'; readonly text: string }

export interface StraceResult {
  /** null for `= ?` (the call never returned to the caller: exit, or exec by another thread) and for partial events. */
  readonly value: number | null
  readonly errno?: string
  /** Under -y, what a returned descriptor refers to (`= 3</real/path>`): symlinks and /proc/self/root resolved. */
  readonly path?: string
}

export interface StraceEvent {
  /** The pid strace printed; for an execve resumed after `superseded`, the thread group leader's pid. */
  readonly pid: number
  /** When the call started, in seconds since the epoch (-ttt). Events come in the order calls complete. */
  readonly time: number
  readonly syscall: string
  readonly args: readonly StraceArg[]
  readonly result: StraceResult
  /**
   * The arguments may be cut short and the result is unknown: the line was longer than `maxLineBytes`,
   * the call never resumed (the thread died, strace detached), or too many calls were pending at once.
   */
  readonly partial: boolean
}

/** strace's `+++ ... +++` lines; with -qq only `superseded` is printed. */
export type StraceExit =
  | { readonly kind: 'exited'; readonly pid: number; readonly time: number; readonly code: number }
  | { readonly kind: 'killed'; readonly pid: number; readonly time: number; readonly signal: string; readonly coreDumped: boolean }
  /** Thread `by` called execve and took over `pid`, the thread group leader's pid. */
  | { readonly kind: 'superseded'; readonly pid: number; readonly time: number; readonly by: number }

export interface StraceStats {
  /** Events emitted, partial ones included. */
  readonly events: number
  readonly partial: number
  /** Lines that are not strace syntax (or a `+++` notice of an unknown shape). */
  readonly malformed: number
  /** Lines longer than `maxLineBytes`. */
  readonly overlong: number
  /** `<... resumed>` lines with no unfinished call to join. */
  readonly orphaned: number
}

export interface StraceParserOptions {
  /** Longest line kept whole, in bytes (default 1 MiB); only the start of a longer line is parsed. */
  readonly maxLineBytes?: number
  readonly onExit?: (exit: StraceExit) => void
}

export interface StraceParser {
  push(chunk: string | Uint8Array): void
  /** Parses a last line without a newline and emits every call still unfinished as a partial event. */
  end(): void
  stats(): StraceStats
}

const DEFAULT_MAX_LINE = 1024 * 1024
/** Unfinished calls held at once; more than the sandbox's pid limit ever runs in parallel. */
const MAX_PENDING = 4096
const UNFINISHED = ' <unfinished ...>'
const DETACHED = ' <detached ...>'
const LINE_HEAD = /^(?:\[pid\s+)?(\d+)\]?\s+(\d+(?:\.\d+)?)\s+/
const RESUMED = /^<\.\.\. ([A-Za-z0-9_]+) resumed>/
const NOTICE = /^\+\+\+ (?:exited with (\d+)|killed by ([A-Z0-9+-]+)( \(core dumped\))?|superseded by execve in pid (\d+)) \+\+\+$/
const UNKNOWN: StraceResult = { value: null }

export const createStraceParser = (onEvent: (event: StraceEvent) => void, options: StraceParserOptions = {}): StraceParser => {
  const maxLine = Math.max(64, options.maxLineBytes ?? DEFAULT_MAX_LINE)
  const counts = { events: 0, partial: 0, malformed: 0, overlong: 0, orphaned: 0 }
  const pending = new Map<number, { readonly time: number; readonly head: string }>()
  let parts: string[] = []
  let length = 0
  let clipped = false
  let ended = false

  const emit = (pid: number, time: number, text: string, partial: boolean): void => {
    const call = parseCall(text, partial)
    if (call === null) {
      counts.malformed += 1
      return
    }
    counts.events += 1
    if (call.partial) counts.partial += 1
    onEvent({ pid, time, ...call })
  }

  const flushPending = (pid: number): void => {
    const start = pending.get(pid)
    if (start === undefined) return
    pending.delete(pid)
    emit(pid, start.time, start.head, true)
  }

  const notice = (pid: number, time: number, body: string): void => {
    const m = NOTICE.exec(body)
    if (m === null) {
      counts.malformed += 1
      return
    }
    if (m[4] !== undefined) {
      const by = Number(m[4])
      const start = pending.get(by)
      pending.delete(by)
      if (start !== undefined) pending.set(pid, start)
      options.onExit?.({ kind: 'superseded', pid, time, by })
      return
    }
    flushPending(pid)
    if (m[1] !== undefined) options.onExit?.({ kind: 'exited', pid, time, code: Number(m[1]) })
    else options.onExit?.({ kind: 'killed', pid, time, signal: m[2] ?? '', coreDumped: m[3] !== undefined })
  }

  const resumed = (pid: number, body: string, partial: boolean): void => {
    const m = RESUMED.exec(body)
    if (m === null) {
      counts.malformed += 1
      return
    }
    const opening = `${m[1] ?? ''}(`
    let owner = pid
    // Without the `superseded` line, an execve resumed under the leader's pid was started by another thread.
    if (!pending.has(pid) && (m[1] === 'execve' || m[1] === 'execveat')) {
      for (const [other, start] of pending) if (start.head.startsWith(opening)) owner = other
    }
    const start = pending.get(owner)
    if (start === undefined || !start.head.startsWith(opening)) {
      flushPending(pid)
      counts.orphaned += 1
      return
    }
    pending.delete(owner)
    // strace cuts where it resumes: `stat("/x", ` + `{st_mode=...}) = 0`, `clone3({...}` + ` => {...}, 88) = 7`.
    emit(pid, start.time, start.head + body.slice(m[0].length), partial)
  }

  const line = (text: string, partial: boolean): void => {
    const m = LINE_HEAD.exec(text)
    if (m === null) {
      if (text.trim() !== '') counts.malformed += 1
      return
    }
    const pid = Number(m[1])
    const time = Number(m[2])
    const body = text.slice(m[0].length)
    if (body.startsWith('--- ')) return
    if (body.startsWith('+++ ')) {
      notice(pid, time, body)
      return
    }
    if (body.startsWith('<... ')) {
      resumed(pid, body, partial)
      return
    }
    flushPending(pid)
    if (!partial && body.endsWith(UNFINISHED)) {
      pending.set(pid, { time, head: body.slice(0, -UNFINISHED.length) })
      const oldest = pending.size > MAX_PENDING ? pending.keys().next().value : undefined
      if (oldest !== undefined) flushPending(oldest)
      return
    }
    if (!partial && body.endsWith(DETACHED)) emit(pid, time, body.slice(0, -DETACHED.length), true)
    else emit(pid, time, body, partial)
  }

  const append = (piece: string): void => {
    if (clipped || piece === '') return
    if (length + piece.length > maxLine) {
      parts.push(copyOf(piece.slice(0, maxLine - length)))
      clipped = true
      counts.overlong += 1
    } else parts.push(piece)
    length += piece.length
  }

  const finishLine = (): void => {
    const text = parts.length === 1 ? (parts[0] ?? '') : parts.join('')
    const wasClipped = clipped
    parts = []
    length = 0
    clipped = false
    line(text, wasClipped)
  }

  return {
    push: (chunk) => {
      if (ended) throw new Error('strace parser: push() after end()')
      const text = typeof chunk === 'string' ? toLatin1(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1')
      let from = 0
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
        append(text.slice(from, newline))
        finishLine()
        from = newline + 1
      }
      append(copyOf(text.slice(from)))
    },
    end: () => {
      if (ended) return
      ended = true
      if (length > 0) finishLine()
      for (const pid of [...pending.keys()]) flushPending(pid)
    },
    stats: () => ({ ...counts }),
  }
}

/** Parses a whole recorded trace at once. */
export const parseStrace = (
  text: string | Uint8Array,
  options: StraceParserOptions = {},
): { readonly events: StraceEvent[]; readonly stats: StraceStats } => {
  const events: StraceEvent[] = []
  const parser = createStraceParser((event) => events.push(event), options)
  parser.push(text)
  parser.end()
  return { events, stats: parser.stats() }
}

/** A string pushed as text is re-encoded so that every character stands for one byte, as from a Buffer. */
const toLatin1 = (text: string): string =>
  /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text

/** A slice kept across pushes is copied: a V8 slice would hold on to the whole chunk it came from. */
const copyOf = (slice: string): string => (slice.length === 0 ? slice : Buffer.from(slice, 'latin1').toString('latin1'))

interface Cursor {
  readonly s: string
  i: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const SPACE = 0x20
const GREATER = 0x3e
const CALL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const CALL_HEAD = /^[A-Za-z_][A-Za-z0-9_]*\(/
/** `= 3`, `= -1 ENOENT (...)`, and under -y `= 3</resolved/path>` (the annotation ends the line). */
const RESULT = /^\s*=\s*(\?|0x[0-9a-fA-F]+|-?\d+)(?:<(.*)>(?=\s*$))?(?:\s+([A-Z][A-Z0-9_]*))?/

/** `name(args) = result`; null when not strace syntax. A partial text parses as far as it goes. */
const parseCall = (text: string, partial: boolean): Omit<StraceEvent, 'pid' | 'time'> | null => {
  const open = text.indexOf('(')
  const syscall = text.slice(0, open)
  if (open <= 0 || !CALL_NAME.test(syscall)) return null
  const cursor: Cursor = { s: text, i: open + 1 }
  const { items: args, closed } = parseSequence(cursor, ')')
  const m = closed && !partial ? RESULT.exec(text.slice(cursor.i)) : null
  if (m === null) return partial ? { syscall, args, result: UNKNOWN, partial: true } : null
  const raw = m[1] ?? '?'
  const value = raw === '?' ? null : Number(raw)
  const fdPath = m[2] === undefined || m[2] === '' ? {} : { path: decodeBytes(unescape(m[2])) }
  return { syscall, args, result: m[3] === undefined ? { value, ...fdPath } : { value, errno: m[3] }, partial: false }
}

const skipSpaces = (c: Cursor): void => {
  while (c.s.charCodeAt(c.i) === SPACE) c.i += 1
}

/** Comma-separated values up to `close`; `...` marks strace's abbreviation. */
const parseSequence = (c: Cursor, close: string): { items: StraceArg[]; closed: boolean; truncated: boolean } => {
  const items: StraceArg[] = []
  let truncated = false
  for (;;) {
    skipSpaces(c)
    if (c.i >= c.s.length) return { items, closed: false, truncated }
    if (c.s[c.i] === close && items.length === 0 && !truncated) {
      c.i += 1
      return { items, closed: true, truncated }
    }
    if (c.s.startsWith('...', c.i) && /^\.\.\.\s*(?:[,\])}]|$)/.test(c.s.slice(c.i, c.i + 8))) {
      truncated = true
      c.i += 3
    } else items.push(parseChanged(c))
    skipSpaces(c)
    const next = c.s[c.i]
    c.i += 1
    if (next === close) return { items, closed: true, truncated }
    if (next !== ',') return { items, closed: false, truncated }
  }
}

const parseStruct = (c: Cursor): StraceArg => {
  const fields: Record<string, StraceArg> = {}
  let truncated = false
  for (let position = 0; ; position += 1) {
    skipSpaces(c)
    if (c.i >= c.s.length) return { kind: 'struct', fields, truncated: true }
    if (c.s[c.i] === '}' && position === 0) {
      c.i += 1
      return { kind: 'struct', fields, truncated }
    }
    if (c.s.startsWith('...', c.i)) {
      truncated = true
      c.i += 3
    } else {
      const name = fieldName(c)
      const value = parseChanged(c)
      fields[name ?? fieldKey(value, position)] = value
    }
    skipSpaces(c)
    const next = c.s[c.i]
    c.i += 1
    if (next === '}') return { kind: 'struct', fields, truncated }
    if (next !== ',') return { kind: 'struct', fields, truncated: true }
  }
}

/** `name=` at the cursor (consumed), or undefined for an unnamed field. */
const fieldName = (c: Cursor): string | undefined => {
  let end = c.i
  while (end < c.s.length && /[A-Za-z0-9_.]/.test(c.s[end] ?? '')) end += 1
  if (end === c.i || c.s[end] !== '=' || /[0-9]/.test(c.s[c.i] ?? '')) return undefined
  const name = c.s.slice(c.i, end)
  c.i = end + 1
  return name
}

/** `inet_pton(AF_INET6, "::1", &sin6_addr)` fills sin6_addr: key it so. */
const fieldKey = (value: StraceArg, position: number): string => {
  const target = value.kind === 'call' ? value.args[value.args.length - 1] : undefined
  return target?.kind === 'raw' && /^&[A-Za-z_]\w*$/.test(target.text) ? target.text.slice(1) : `#${position}`
}

/** A value, or strace's `before => after` for what the kernel wrote back (clone3's `{...} => {parent_tid=[7]}`). */
const parseChanged = (c: Cursor): StraceArg => {
  const before = parseValue(c)
  skipSpaces(c)
  if (!c.s.startsWith('=>', c.i)) return before
  c.i += 2
  skipSpaces(c)
  const after = parseValue(c)
  if (before.kind === 'struct' && after.kind === 'struct') {
    return { kind: 'struct', fields: { ...before.fields, ...after.fields }, truncated: before.truncated || after.truncated }
  }
  return { kind: 'raw', text: `${argText(before)} => ${argText(after)}` }
}

const parseValue = (c: Cursor): StraceArg => {
  const ch = c.s[c.i]
  if (ch === '"') return parseString(c, '')
  if (ch === '@' && c.s[c.i + 1] === '"') {
    c.i += 1
    return parseString(c, '@')
  }
  if (ch === '[') {
    c.i += 1
    const { items, closed, truncated } = parseSequence(c, ']')
    return { kind: 'array', items, truncated: truncated || !closed }
  }
  if (ch === '{') {
    c.i += 1
    return parseStruct(c)
  }
  return parseRaw(c)
}

/** `"..."`, with C escapes, and `...` right after the quote when strace cut it at -s. */
const parseString = (c: Cursor, prefix: string): StraceArg => {
  const start = c.i + 1
  let end = start
  let escaped = false
  while (end < c.s.length) {
    const code = c.s.charCodeAt(end)
    if (code === QUOTE) break
    if (code === BACKSLASH) {
      escaped = true
      end += 1
    }
    end += 1
  }
  end = Math.min(end, c.s.length)
  const body = c.s.slice(start, end)
  c.i = end + 1
  let truncated = end >= c.s.length
  if (c.s.startsWith('...', c.i)) {
    truncated = true
    c.i += 3
  }
  return { kind: 'string', value: prefix + decodeBytes(escaped ? unescape(body) : body), truncated }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f', a: '\x07', b: '\b' }

const unescape = (body: string): string =>
  body.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{2})|([\s\S]))/g, (_, octal?: string, hex?: string, other?: string) => {
    if (octal !== undefined) return String.fromCharCode(Number.parseInt(octal, 8) & 0xff)
    if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16))
    return ESCAPES[other ?? ''] ?? other ?? ''
  })

/** Bytes (one per character) to text: UTF-8 when not ASCII; invalid sequences become U+FFFD. */
const decodeBytes = (bytes: string): string =>
  /[\x80-\xff]/.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes

/** Up to the next comma or closing bracket at this level, over nested brackets, strings and comments. */
const parseRaw = (c: Cursor): StraceArg => {
  const start = c.i
  let depth = 0
  scan: while (c.i < c.s.length) {
    switch (c.s.charAt(c.i)) {
      case '"':
        c.i = skipString(c.s, c.i)
        continue
      case '/':
        if (c.s[c.i + 1] === '*') {
          const close = c.s.indexOf('*/', c.i + 2)
          c.i = close < 0 ? c.s.length : close + 2
          continue
        }
        break
      case '<':
        c.i = skipAnnotation(c.s, c.i)
        continue
      case '(': case '[': case '{':
        depth += 1
        break
      case ')': case ']': case '}':
        if (depth === 0) break scan
        depth -= 1
        break
      case ',':
        if (depth === 0) break scan
        break
      default:
        break
    }
    c.i += 1
  }
  const text = c.s.slice(start, c.i).trimEnd()
  const head = CALL_HEAD.exec(text)
  if (head !== null && text.endsWith(')')) {
    const inner: Cursor = { s: text, i: head[0].length }
    const { items, closed } = parseSequence(inner, ')')
    if (closed && inner.i === text.length) return { kind: 'call', name: head[0].slice(0, -1), args: items }
  }
  return { kind: 'raw', text }
}

/** -y's `3</dir>` / `AT_FDCWD</cwd>`: commas and parens stay as they are, `<`, `>` and `"` come escaped. */
const skipAnnotation = (s: string, open: number): number => {
  for (let i = open + 1; i < s.length; i += 1) {
    const code = s.charCodeAt(i)
    if (code === BACKSLASH) i += 1
    else if (code === GREATER) return i + 1
  }
  return s.length
}

const skipString = (s: string, quote: number): number => {
  for (let i = quote + 1; i < s.length; i += 1) {
    const code = s.charCodeAt(i)
    if (code === BACKSLASH) i += 1
    else if (code === QUOTE) return i + 1
  }
  return s.length
}

/** How a path figures in its call: the one path, rename/link's `from` and `to`, or the text a symlink holds. */
export type PathRole = 'path' | 'from' | 'to' | 'linkTarget'

export interface TracedPath {
  readonly path: string
  readonly role: PathRole
  /**
   * The directory fd a relative path resolves from, as printed: `3`, or under -y `3</dir>` and
   * `AT_FDCWD</cwd>`. Absent for an absolute path, a plain AT_FDCWD and calls without a dirfd
   * (`open`, `rename`, `mkdir`...: relative to the process's cwd, which the trace does not show).
   */
  readonly dirfd?: string
  /** That directory, decoded from the -y annotation. */
  readonly dir?: string
}

type PathSlot = readonly [dirIndex: number, pathIndex: number, role: PathRole]

const ONE: readonly PathSlot[] = [[-1, 0, 'path']]
const AT: readonly PathSlot[] = [[0, 1, 'path']]
const TWO: readonly PathSlot[] = [[-1, 0, 'from'], [-1, 1, 'to']]
const TWO_AT: readonly PathSlot[] = [[0, 1, 'from'], [2, 3, 'to']]

const PATH_SLOTS: Readonly<Record<string, readonly PathSlot[]>> = {
  open: ONE, creat: ONE, stat: ONE, lstat: ONE, access: ONE, truncate: ONE, chmod: ONE, chown: ONE, lchown: ONE,
  unlink: ONE, rmdir: ONE, mkdir: ONE, mknod: ONE, readlink: ONE, execve: ONE,
  openat: AT, openat2: AT, newfstatat: AT, fstatat64: AT, statx: AT, faccessat: AT, faccessat2: AT, unlinkat: AT,
  fchmodat: AT, fchownat: AT, mkdirat: AT, mknodat: AT, readlinkat: AT, execveat: AT,
  rename: TWO, link: TWO, renameat: TWO_AT, renameat2: TWO_AT, linkat: TWO_AT,
  symlink: [[-1, 0, 'linkTarget'], [-1, 1, 'to']],
  symlinkat: [[-1, 0, 'linkTarget'], [1, 2, 'to']],
}

const ANNOTATED = /^(?:\d+|AT_FDCWD)<([\s\S]*)>$/

/** The path of -y's `3</dir>` (escapes decoded); undefined without one. */
const annotatedPath = (text: string): string | undefined => {
  const m = ANNOTATED.exec(text)
  return m?.[1] === undefined ? undefined : decodeBytes(unescape(m[1]))
}

/**
 * The paths a file call names, in argument order (rename's `from` first). An empty path
 * (AT_EMPTY_PATH) names the descriptor itself: its file under -y, else nothing. A path strace could
 * not read (an address) is left out. A symlink's `linkTarget` is only text stored in the link.
 */
export const pathArgs = (event: StraceEvent): TracedPath[] => {
  const paths: TracedPath[] = []
  for (const [dirIndex, pathIndex, role] of PATH_SLOTS[event.syscall] ?? []) {
    const arg = event.args[pathIndex]
    if (arg?.kind !== 'string') continue
    const dirArg = event.args[dirIndex]
    const dirfd = dirArg === undefined || role === 'linkTarget' ? undefined : argText(dirArg)
    const dir = dirfd === undefined ? undefined : annotatedPath(dirfd)
    if (arg.value === '') {
      if (dir !== undefined && dirfd !== undefined) paths.push({ path: dir, role, dirfd })
    } else if (dirfd === undefined || dirfd === 'AT_FDCWD' || arg.value.startsWith('/')) {
      paths.push({ path: arg.value, role })
    } else paths.push({ path: arg.value, role, dirfd, ...(dir === undefined ? {} : { dir }) })
  }
  return paths
}

/** The O_* flags of an open call (`creat` is O_CREAT|O_WRONLY|O_TRUNC); null for any other call. */
export const openFlags = (event: StraceEvent): readonly string[] | null => {
  let flags: StraceArg | undefined
  switch (event.syscall) {
    case 'creat':
      return ['O_CREAT', 'O_WRONLY', 'O_TRUNC']
    case 'open':
      flags = event.args[1]
      break
    case 'openat':
      flags = event.args[2]
      break
    case 'openat2': {
      const how = event.args[2]
      flags = how?.kind === 'struct' ? how.fields['flags'] : undefined
      break
    }
    default:
      return null
  }
  return flags === undefined ? [] : argText(flags).split('|').map((flag) => flag.trim())
}

const WRITE_FLAGS = new Set(['O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_TRUNC'])

/** Whether an open call may change the file: O_WRONLY, O_RDWR, O_CREAT or O_TRUNC (which truncates even read-only). */
export const opensForWrite = (event: StraceEvent): boolean =>
  openFlags(event)?.some((flag) => WRITE_FLAGS.has(flag)) ?? false

const argvArg = (event: StraceEvent): StraceArg | undefined =>
  event.syscall === 'execve' ? event.args[1] : event.syscall === 'execveat' ? event.args[2] : undefined

/** execve/execveat's argv as strace printed it (see execArgvTruncated); [] for any other call. */
export const execArgv = (event: StraceEvent): string[] => {
  const arg = argvArg(event)
  return arg?.kind === 'array' ? arg.items.map((item) => argText(item)) : []
}

/**
 * Whether strace printed only part of an exec's argv: more than -s arguments, an argument longer
 * than -s, an address it could not read, or a line cut at maxLineBytes. What was hidden may matter.
 */
export const execArgvTruncated = (event: StraceEvent): boolean => {
  if (event.syscall !== 'execve' && event.syscall !== 'execveat') return false
  const arg = argvArg(event)
  if (arg?.kind === 'array') return event.partial || arg.truncated || arg.items.some((item) => item.kind !== 'string' || item.truncated)
  return event.partial || !(arg?.kind === 'raw' && arg.text === 'NULL')
}

export type SocketAddress =
  | { readonly family: 'inet' | 'inet6'; readonly address: string; readonly port: number }
  /** `path` is '' for an unnamed socket and starts with `@` for an abstract one (as ss(8) shows it). */
  | { readonly family: 'unix'; readonly path: string }
  /** Another family (`AF_NETLINK`), or an inet address strace did not decode. */
  | { readonly family: 'other'; readonly name: string }

/** The address of connect, bind, sendto or sendmsg; null when the call names none (sendto on a connected socket). */
export const socketAddress = (event: StraceEvent): SocketAddress | null => {
  let sockaddr: StraceArg | undefined
  if (event.syscall === 'connect' || event.syscall === 'bind') sockaddr = event.args[1]
  else if (event.syscall === 'sendto') sockaddr = event.args[4]
  else if (event.syscall === 'sendmsg') {
    const msg = event.args[1]
    sockaddr = msg?.kind === 'struct' ? msg.fields['msg_name'] : undefined
  }
  if (sockaddr?.kind !== 'struct') return null
  const { fields } = sockaddr
  const family = fields['sa_family'] === undefined ? '' : argText(fields['sa_family'])
  const inet = (portField: string, addrField: string, addrIndex: number): { address: string; port: number } | null => {
    const port = fields[portField]
    const addr = fields[addrField]
    const portText = port?.kind === 'call' && port.args[0] !== undefined ? argText(port.args[0]) : ''
    const address = addr?.kind === 'call' ? addr.args[addrIndex] : undefined
    if (address?.kind !== 'string' || !/^\d+$/.test(portText)) return null
    return { address: address.value, port: Number(portText) }
  }
  if (family === 'AF_INET' || family === 'AF_INET6') {
    const found = family === 'AF_INET' ? inet('sin_port', 'sin_addr', 0) : inet('sin6_port', 'sin6_addr', 1)
    return found === null ? { family: 'other', name: family } : { family: family === 'AF_INET' ? 'inet' : 'inet6', ...found }
  }
  if (family === 'AF_UNIX') {
    const path = fields['sun_path']
    return { family: 'unix', path: path?.kind === 'string' ? path.value : '' }
  }
  return { family: 'other', name: family }
}

/** An argument as one line of text: strings decoded, the rest as strace printed it (roughly, for compound values). */
const argText = (arg: StraceArg): string => {
  switch (arg.kind) {
    case 'raw':
      return arg.text
    case 'string':
      return arg.value
    case 'call':
      return `${arg.name}(${arg.args.map(argText).join(', ')})`
    case 'array':
      return `[${arg.items.map(argText).join(', ')}]`
    case 'struct':
      return `{${Object.entries(arg.fields).map(([name, value]) => `${name}=${argText(value)}`).join(', ')}}`
  }
}

/**
 * A streaming parser of strace output (`strace -f -ttt -qq -s N`), pure and incremental: chunks
 * may split lines anywhere, memory stays bounded (an overlong line is counted and skipped, never
 * kept whole), `<unfinished ...>` / `<... resumed>` pairs are joined per pid, and a malformed line
 * is counted, never thrown. Text is handled as latin1: strace escapes every non-printable byte,
 * and a path's bytes survive the round trip.
 */

export type StraceArg =
  | { readonly kind: 'string'; readonly value: string; readonly truncated: boolean }
  | { readonly kind: 'array'; readonly items: readonly StraceArg[] }
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, StraceArg>> }
  /** Flags, numbers, AT_FDCWD, calls such as htons(443) or inet_addr("127.0.0.1"), comments. */
  | { readonly kind: 'raw'; readonly text: string }

export interface StraceEvent {
  readonly pid: number
  /** Seconds since the epoch (-ttt). */
  readonly time: number
  readonly syscall: string
  readonly args: readonly StraceArg[]
  /** `value` null for `?` (the call did not return: exit, exec of a thread group). */
  readonly result: { readonly value: number | null; readonly errno?: string }
}

export interface StraceStats {
  readonly events: number
  readonly malformed: number
  readonly overlong: number
}

export interface StraceParser {
  push(chunk: string | Buffer): void
  end(): void
  stats(): StraceStats
}

const LINE = /^(\d+)\s+(\d+(?:\.\d+)?)\s+(.*)$/s
const UNFINISHED = ' <unfinished ...>'
const RESUMED = /^<\.\.\. ([A-Za-z0-9_]+) resumed>\s?(.*)$/s

export const createStraceParser = (
  onEvent: (event: StraceEvent) => void,
  options: { readonly maxLineBytes?: number; readonly onExit?: (pid: number, how: string) => void } = {},
): StraceParser => {
  const maxLine = options.maxLineBytes ?? 1024 * 1024
  let buffered = ''
  let skipping = false
  let events = 0
  let malformed = 0
  let overlong = 0
  const pending = new Map<number, { readonly time: number; readonly head: string }>()

  const emit = (pid: number, time: number, text: string): void => {
    const call = parseCall(text)
    if (call === null) {
      malformed += 1
      return
    }
    events += 1
    onEvent({ pid, time, ...call })
  }

  const line = (text: string): void => {
    if (text === '') return
    const m = LINE.exec(text)
    if (m === null) {
      malformed += 1
      return
    }
    const pid = Number(m[1])
    const time = Number(m[2])
    const body = m[3] ?? ''
    if (body.startsWith('+++ ')) {
      options.onExit?.(pid, body.replace(/^\+\+\+ | \+\+\+$/g, ''))
      return
    }
    if (body.startsWith('--- ')) return
    const resumed = RESUMED.exec(body)
    if (resumed !== null) {
      const head = pending.get(pid)
      pending.delete(pid)
      if (head === undefined) {
        malformed += 1
        return
      }
      emit(pid, head.time, joinResumed(head.head, resumed[2] ?? ''))
      return
    }
    if (body.endsWith(UNFINISHED)) {
      pending.set(pid, { time, head: body.slice(0, -UNFINISHED.length) })
      return
    }
    emit(pid, time, body)
  }

  return {
    push: (chunk) => {
      buffered += typeof chunk === 'string' ? chunk : chunk.toString('latin1')
      let from = 0
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n', from)) {
        const text = buffered.slice(from, newline)
        from = newline + 1
        if (skipping) skipping = false
        else line(text)
      }
      buffered = buffered.slice(from)
      if (buffered.length > maxLine) {
        if (!skipping) overlong += 1
        skipping = true
        buffered = ''
      }
    },
    end: () => {
      if (!skipping && buffered !== '') line(buffered)
      buffered = ''
      malformed += pending.size
      pending.clear()
    },
    stats: () => ({ events, malformed, overlong }),
  }
}

/** `openat(AT_FDCWD, "/x", ` + `O_RDONLY) = 3`: strace cuts at an argument boundary. */
const joinResumed = (head: string, rest: string): string => {
  if (head.endsWith('(') || rest.startsWith(')') || head.endsWith(', ')) return head + rest
  return `${head}, ${rest}`
}

/** Index of the bracket closing the one at `open`, skipping strings; -1 when unbalanced. */
const closing = (text: string, open: number): number => {
  const stack: string[] = []
  for (let i = open; i < text.length; i += 1) {
    const c = text[i]
    if (c === '"') {
      i = stringEnd(text, i)
      if (i < 0) return -1
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(c === '(' ? ')' : c === '[' ? ']' : '}')
    } else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1
      if (stack.length === 0) return i
    }
  }
  return -1
}

/** Index of the quote ending the string that starts at `start`. */
const stringEnd = (text: string, start: number): number => {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1
    else if (text[i] === '"') return i
  }
  return -1
}

const parseCall = (text: string): Omit<StraceEvent, 'pid' | 'time'> | null => {
  const open = text.indexOf('(')
  if (open <= 0) return null
  const syscall = text.slice(0, open)
  if (!/^[A-Za-z0-9_]+$/.test(syscall)) return null
  const close = closing(text, open)
  if (close < 0) return null
  const tail = /^\s*=\s*(\?|0x[0-9a-f]+|-?\d+)(?:\s+([A-Z][A-Z0-9_]*))?/.exec(text.slice(close + 1))
  if (tail === null) return null
  const raw = tail[1] ?? '?'
  const value = raw === '?' ? null : raw.startsWith('0x') ? Number.parseInt(raw, 16) : Number(raw)
  return {
    syscall,
    args: splitTop(text.slice(open + 1, close)).map(parseArg),
    result: tail[2] === undefined ? { value } : { value, errno: tail[2] },
  }
}

/** Split on the commas that are not inside a string or brackets. */
const splitTop = (text: string): string[] => {
  const parts: string[] = []
  let depth = 0
  let from = 0
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]
    if (c === '"') {
      const end = stringEnd(text, i)
      if (end < 0) break
      i = end
    } else if (c === '(' || c === '[' || c === '{') depth += 1
    else if (c === ')' || c === ']' || c === '}') depth -= 1
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i).trim())
      from = i + 1
    }
  }
  const last = text.slice(from).trim()
  if (last !== '' || parts.length > 0) parts.push(last)
  return parts
}

const parseArg = (text: string): StraceArg => {
  if (text.startsWith('"')) {
    const end = stringEnd(text, 0)
    if (end > 0) {
      const rest = text.slice(end + 1)
      if (rest === '' || rest === '...') return { kind: 'string', value: decodeCString(text.slice(1, end)), truncated: rest === '...' }
    }
  }
  if (text.startsWith('[') && closing(text, 0) === text.length - 1) {
    return { kind: 'array', items: splitTop(text.slice(1, -1)).filter((item) => item !== '').map(parseArg) }
  }
  if (text.startsWith('{') && closing(text, 0) === text.length - 1) {
    const fields: Record<string, StraceArg> = {}
    splitTop(text.slice(1, -1)).forEach((field, index) => {
      const eq = field.indexOf('=')
      // `inet_pton(AF_INET6, "::1", &sin6_addr)` has no name: kept under its position.
      if (eq > 0 && /^[A-Za-z0-9_.]+$/.test(field.slice(0, eq))) fields[field.slice(0, eq)] = parseArg(field.slice(eq + 1))
      else if (field !== '') fields[`#${index}`] = parseArg(field)
    })
    return { kind: 'struct', fields }
  }
  return { kind: 'raw', text }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f', a: '\x07', b: '\b', '"': '"', '\\': '\\' }

/** strace's C escapes (`\n`, `\"`, `\\`, `\x41`, octal `\0`…`\377`) back to latin1 text. */
export const decodeCString = (text: string): string =>
  text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    if (esc.startsWith('x')) return String.fromCharCode(Number.parseInt(esc.slice(1), 16))
    if (/^[0-7]/.test(esc)) return String.fromCharCode(Number.parseInt(esc, 8) & 0xff)
    return ESCAPES[esc] ?? esc
  })

const stringAt = (event: StraceEvent, index: number): string | undefined => {
  const arg = event.args[index]
  return arg?.kind === 'string' ? arg.value : undefined
}

const rawAt = (event: StraceEvent, index: number): string => {
  const arg = event.args[index]
  return arg?.kind === 'raw' ? arg.text : ''
}

/** The directory a path argument is relative to: undefined for AT_FDCWD (or an absolute path). */
export interface TracedPath {
  readonly path: string
  readonly dirfd?: string
}

const at = (event: StraceEvent, dirIndex: number, pathIndex: number): TracedPath[] => {
  const path = stringAt(event, pathIndex)
  if (path === undefined) return []
  const dirfd = rawAt(event, dirIndex)
  return [dirfd === 'AT_FDCWD' || dirfd === '' || path.startsWith('/') ? { path } : { path, dirfd }]
}

/** The paths a file syscall touches, in argument order (rename's source first). */
export const pathArgs = (event: StraceEvent): TracedPath[] => {
  switch (event.syscall) {
    case 'open': case 'creat': case 'stat': case 'lstat': case 'access': case 'truncate': case 'chmod':
    case 'unlink': case 'execve': case 'readlink': case 'mkdir': case 'rmdir':
      return at(event, -1, 0)
    case 'openat': case 'openat2': case 'newfstatat': case 'fstatat64': case 'statx': case 'faccessat': case 'faccessat2':
    case 'unlinkat': case 'fchmodat': case 'execveat': case 'readlinkat': case 'mkdirat':
      return at(event, 0, 1)
    case 'rename': case 'link': case 'symlink':
      return [...at(event, -1, 0), ...at(event, -1, 1)]
    case 'renameat': case 'renameat2': case 'linkat':
      return [...at(event, 0, 1), ...at(event, 2, 3)]
    case 'symlinkat':
      return [...at(event, -1, 0), ...at(event, 1, 2)]
    default:
      return []
  }
}

/** Whether an open-family call asks to write (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND; creat always). */
export const opensForWrite = (event: StraceEvent): boolean => {
  if (event.syscall === 'creat') return true
  const flags = event.syscall === 'open' ? rawAt(event, 1) : event.syscall === 'openat' ? rawAt(event, 2) : event.syscall === 'openat2' ? rawAt(event, 2) : ''
  return /\bO_(WRONLY|RDWR|CREAT|TRUNC|APPEND)\b/.test(flags)
}

/** execve's argv (as far as strace printed it). */
export const execArgv = (event: StraceEvent): string[] => {
  const index = event.syscall === 'execve' ? 1 : event.syscall === 'execveat' ? 2 : -1
  const arg = event.args[index]
  if (arg?.kind !== 'array') return []
  return arg.items.map((item) => (item.kind === 'string' ? item.value : item.kind === 'raw' ? item.text : ''))
}

export interface SocketAddress {
  readonly family: 'inet' | 'inet6' | 'unix' | 'other'
  readonly address?: string
  readonly port?: number
  readonly path?: string
}

/** The address of connect/bind/sendto/sendmsg, when strace decoded one. */
export const socketAddress = (event: StraceEvent): SocketAddress | null => {
  let struct: StraceArg | undefined
  if (event.syscall === 'connect' || event.syscall === 'bind') struct = event.args[1]
  else if (event.syscall === 'sendto') struct = event.args[4]
  else if (event.syscall === 'sendmsg') {
    const msg = event.args[1]
    struct = msg?.kind === 'struct' ? msg.fields['msg_name'] : undefined
  }
  if (struct?.kind !== 'struct') return null
  const family = struct.fields['sa_family']
  const familyText = family?.kind === 'raw' ? family.text : ''
  const port = (name: string): number | undefined => {
    const field = struct.fields[name]
    const m = field?.kind === 'raw' ? /htons\((\d+)\)/.exec(field.text) : null
    return m === null ? undefined : Number(m[1])
  }
  if (familyText === 'AF_INET') {
    const addr = struct.fields['sin_addr']
    const m = addr?.kind === 'raw' ? /inet_addr\("([^"]*)"\)/.exec(addr.text) : null
    const p = port('sin_port')
    return { family: 'inet', ...(m?.[1] === undefined ? {} : { address: m[1] }), ...(p === undefined ? {} : { port: p }) }
  }
  if (familyText === 'AF_INET6') {
    const found = Object.values(struct.fields).map((f) => (f.kind === 'raw' ? /inet_pton\(AF_INET6, "([^"]*)"/.exec(f.text) : null)).find((m) => m !== null)
    const address = found?.[1]
    const p = port('sin6_port')
    return { family: 'inet6', ...(address === undefined ? {} : { address }), ...(p === undefined ? {} : { port: p }) }
  }
  if (familyText === 'AF_UNIX') {
    const path = struct.fields['sun_path']
    return { family: 'unix', ...(path?.kind === 'string' ? { path: path.value } : path?.kind === 'raw' ? { path: path.text } : {}) }
  }
  return { family: 'other' }
}

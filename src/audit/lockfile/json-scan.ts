/**
 * A structural scan of JSON (or JSONC) text that records where keys and values are, without
 * building values: JSON.parse builds them (fast, native), this finds their lines. Together they read
 * a 3,500-package lockfile in a few tens of milliseconds, where a full syntax tree costs several times that.
 *
 * - Only the top level and the objects the caller asks for (`index`, asked about an object's
 *   children only when the object itself is recorded) get their keys recorded; duplicate keys are all kept, in order. Every
 *   recorded key also gets the number of keys of its value (`count`), so repeated fields inside it
 *   can be detected without recording them.
 * - Lines are counted while scanning (valid JSON has no raw newline inside a string).
 * - JSONC: comments and trailing commas are collected in `blanks` so the caller can blank them out
 *   (same offsets, same lines) before JSON.parse.
 * - Never throws and always ends; on invalid text the result is meaningless, and JSON.parse says so.
 */

export interface JsonKey {
  readonly name: string
  /** Offset of the key's opening quote, and its 1-based line and column. */
  readonly offset: number
  readonly line: number
  readonly column: number
  /** Offsets of the value: first character, one past the last. */
  valueStart: number
  valueEnd: number
  /** The value's keys, when the value is an object the caller asked to index. */
  members: JsonMembers | undefined
  /** How many keys the value has, repeated ones included, when it is an object; -1 otherwise. */
  count: number
}

export interface JsonMembers {
  readonly offset: number
  readonly keys: JsonKey[]
}

export interface JsonScan {
  /** The top-level object's keys; undefined when the text is not an object (or the root is not indexed). */
  readonly root: JsonMembers | undefined
  /** [start, end) ranges of comments and trailing commas (JSONC only). */
  readonly blanks: ReadonlyArray<readonly [number, number]>
  /** Offset of the container that went deeper than MAX_JSON_DEPTH; the scan stopped there. */
  readonly tooDeep?: number
}

/** One open container; frames are reused by depth, so scanning allocates nothing per value. */
interface Frame {
  object: boolean
  members: JsonMembers | undefined
  /** How many recorded objects enclose this one (0 for the top level). */
  level: number
  /** The parent's key whose value this container is. */
  owner: JsonKey | undefined
  expectKey: boolean
  pending: JsonKey | undefined
  count: number
}

/**
 * Which objects to record, asked for each object value of a recorded object: `level` is how deep
 * the recorded object is (0: the top level), `key` the key whose value is asked about. The top
 * level is always recorded; a predicate only ever sees children of recorded objects, so the
 * depth and the key say the whole path.
 */
export type JsonIndexPredicate = (level: number, key: string) => boolean

/** Deeper than this is not a lockfile (npm v1 nests two levels per package); refusing it bounds the work. */
export const MAX_JSON_DEPTH = 1000

const NEWLINE = 10
const QUOTE = 34
const COMMA = 44
const SLASH = 47
const COLON = 58
const BACKSLASH = 92
const STAR = 42
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

/** 1: whitespace, 2: ends a literal (whitespace, punctuation, quote, slash). */
const CLASS = new Uint8Array(128)
for (const c of [32, 9, 13, NEWLINE]) CLASS[c] = 1
for (const c of [COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, QUOTE, SLASH]) CLASS[c] = 2

/** Offset of the quote that closes the string opened at `open`, or the text's length. */
const stringEnd = (text: string, open: number): number => {
  let from = open + 1
  for (;;) {
    const quote = text.indexOf('"', from)
    if (quote === -1) return text.length
    let slashes = 0
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes += 1
    if (slashes % 2 === 0) return quote
    from = quote + 1
  }
}

const decodeKey = (raw: string): string => {
  if (!raw.includes('\\')) return raw
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    return raw
  }
}

/** End of a comment starting at `at` (a `/`), or -1 when it is not a comment. */
const commentEnd = (text: string, at: number): number => {
  const next = text.charCodeAt(at + 1)
  if (next === SLASH) {
    const newline = text.indexOf('\n', at)
    return newline === -1 ? text.length : newline
  }
  if (next === STAR) {
    const close = text.indexOf('*/', at + 2)
    return close === -1 ? text.length : close + 2
  }
  return -1
}

interface Stack {
  readonly frames: Frame[]
  depth: number
}

const topOf = (stack: Stack): Frame | undefined => (stack.depth === 0 ? undefined : stack.frames[stack.depth - 1])

/** Marks the top frame's pending key (if any) as having its value start at `at`, and returns it. */
const startValue = (stack: Stack, at: number): JsonKey | undefined => {
  const top = topOf(stack)
  if (top === undefined) return undefined
  const key = top.pending
  top.pending = undefined
  if (key !== undefined) key.valueStart = at
  return key
}

const openFrame = (stack: Stack, at: number, object: boolean, index: JsonIndexPredicate): JsonMembers | undefined => {
  const parent = topOf(stack)
  const owner = startValue(stack, at)
  let members: JsonMembers | undefined
  let level = 0
  if (object && parent === undefined) {
    members = { offset: at, keys: [] }
  } else if (object && owner !== undefined && parent?.members !== undefined && index(parent.level, owner.name)) {
    level = parent.level + 1
    members = owner.members = { offset: at, keys: [] }
  }
  let frame = stack.frames[stack.depth]
  if (frame === undefined) {
    frame = { object, members, level, owner, expectKey: object, pending: undefined, count: 0 }
    stack.frames.push(frame)
  } else {
    frame.object = object
    frame.members = members
    frame.level = level
    frame.owner = owner
    frame.expectKey = object
    frame.pending = undefined
    frame.count = 0
  }
  stack.depth += 1
  return members
}

/** Newlines in [from, to). */
const countNewlines = (text: string, from: number, to: number): { count: number; last: number } => {
  let count = 0
  let last = -1
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) {
    count += 1
    last = at
  }
  return { count, last }
}

export const scanJson = (text: string, options: { readonly jsonc: boolean; readonly index: JsonIndexPredicate }): JsonScan => {
  const blanks: Array<readonly [number, number]> = []
  const stack: Stack = { frames: [], depth: 0 }
  let root: JsonMembers | undefined
  const length = text.length
  let line = 1
  let lineStart = 0
  let at = 0
  while (at < length) {
    const c = text.charCodeAt(at)
    if (c === 32 || c === NEWLINE || c === 9 || c === 13) {
      if (c === NEWLINE) {
        line += 1
        lineStart = at + 1
      }
      at += 1
    } else if (c === QUOTE) {
      const end = stringEnd(text, at)
      const top = topOf(stack)
      if (top !== undefined && top.object && top.expectKey) {
        top.expectKey = false
        top.count += 1
        if (top.members !== undefined) {
          const key: JsonKey = {
            name: decodeKey(text.slice(at + 1, end)), offset: at, line, column: at - lineStart + 1,
            valueStart: -1, valueEnd: -1, members: undefined, count: -1,
          }
          top.members.keys.push(key)
          top.pending = key
        }
      } else {
        const key = startValue(stack, at)
        if (key !== undefined) key.valueEnd = end + 1
      }
      at = end + 1
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (stack.depth >= MAX_JSON_DEPTH) return { root, blanks, tooDeep: at }
      const first = stack.depth === 0
      const members = openFrame(stack, at, c === OPEN_BRACE, options.index)
      if (first) root ??= members
      at += 1
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      const frame = topOf(stack)
      if (frame !== undefined) stack.depth -= 1
      if (frame?.owner !== undefined) {
        frame.owner.valueEnd = at + 1
        if (frame.object) frame.owner.count = frame.count
      }
      at += 1
    } else if (c === COMMA) {
      const top = topOf(stack)
      if (top?.object === true) top.expectKey = true
      if (options.jsonc && closesNext(text, at + 1)) blanks.push([at, at + 1])
      at += 1
    } else if (c === COLON) {
      at += 1
    } else if (c === SLASH && options.jsonc && commentEnd(text, at) !== -1) {
      const end = commentEnd(text, at)
      blanks.push([at, end])
      const newlines = countNewlines(text, at, end)
      if (newlines.count > 0) {
        line += newlines.count
        lineStart = newlines.last + 1
      }
      at = end
    } else {
      let end = at + 1
      while (end < length) {
        const next = text.charCodeAt(end)
        if (next < 128 && CLASS[next] !== 0) break
        end += 1
      }
      const key = startValue(stack, at)
      if (key !== undefined) key.valueEnd = end
      at = end
    }
  }
  return { root, blanks }
}

/** Whether the next significant character after `from` (skipping spaces and comments) closes a container. */
const closesNext = (text: string, from: number): boolean => {
  let at = from
  while (at < text.length) {
    const c = text.charCodeAt(at)
    if (c < 128 && CLASS[c] === 1) at += 1
    else if (c === SLASH) {
      const end = commentEnd(text, at)
      if (end === -1) return false
      at = end
    } else return c === CLOSE_BRACE || c === CLOSE_BRACKET
  }
  return false
}

/** The text with every blank range replaced by spaces (newlines kept), so offsets and lines stay. */
export const blankOut = (text: string, blanks: JsonScan['blanks']): string => {
  if (blanks.length === 0) return text
  const parts: string[] = []
  let from = 0
  for (const [start, end] of blanks) {
    parts.push(text.slice(from, start), text.slice(start, end).replace(/[^\n\r]/g, ' '))
    from = end
  }
  parts.push(text.slice(from))
  return parts.join('')
}

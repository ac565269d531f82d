import { printParseErrorCode, visit, type JSONPath } from 'jsonc-parser'

/**
 * Where the keys of a JSON(C) lockfile are, read with jsonc-parser's `visit` (the values come from
 * JSON.parse or jsonc-parser's `parse`). One pass also finds what those parsers let through
 * silently: a key repeated in one object (they keep only the last), and nesting deep enough to
 * exhaust the stack of a recursive parser.
 */

export interface JsonKey {
  readonly name: string
  /** Offset of the key's opening quote, and its 1-based line and column. */
  readonly offset: number
  readonly line: number
  readonly column: number
  /** The value's text is [valueStart, valueEnd). */
  valueStart: number
  valueEnd: number
  /** The keys of the value, in file order, repeats included, when the value is an object the caller asked to record. */
  members: JsonKey[] | undefined
}

/**
 * What to record of an object whose parent is recorded: `path` is the keys from the top level down
 * to it (so the top level's own children have a path of one key). `keys` records its keys, and a
 * repeated one is reported; `entries` records them all, repeats included, for the reader to read
 * each occurrence; `skip` records nothing (repeats are still reported).
 */
export type JsonRecord = (path: readonly string[]) => 'keys' | 'entries' | 'skip'

export interface JsonRepeat {
  readonly name: string
  readonly offset: number
  readonly firstOffset: number
  /** The keys from the top level down to the object that repeats `name`. */
  readonly path: JSONPath
}

export interface JsonLocation {
  /** The top-level object's keys; undefined when the text is not an object. */
  readonly root: JsonKey[] | undefined
  /** The first syntax error, as jsonc-parser words it (`comma expected`). */
  readonly syntaxError?: { readonly offset: number; readonly reason: string }
  /** Offset of the container that goes deeper than MAX_JSON_DEPTH; the text after it was not read. */
  readonly tooDeep?: number
  /** The first key repeated in an object that is not recorded as `entries`. */
  readonly repeated?: JsonRepeat
}

/** Deeper than this is not a lockfile (npm v1 nests two levels per package); refusing it bounds the recursion. */
export const MAX_JSON_DEPTH = 1000

interface Frame {
  /** The recorded key whose value this container is. */
  readonly owner: JsonKey | undefined
  readonly path: readonly string[] | undefined
  readonly members: JsonKey[] | undefined
  /** First offset of each key, for objects whose repeats are reported. */
  readonly seen: Map<string, number> | undefined
  pending: JsonKey | undefined
}

/** Thrown from the visitor to stop jsonc-parser's recursion at MAX_JSON_DEPTH. */
class TooDeep extends Error {
  constructor(readonly offset: number) {
    super('nested too deeply')
  }
}

/** `jsonc`: comments and trailing commas allowed (bun.lock); otherwise strict JSON (what npm reads). */
export const locateJson = (text: string, options: { readonly jsonc: boolean; readonly record: JsonRecord }): JsonLocation => {
  const frames: Frame[] = []
  let root: JsonKey[] | undefined
  let syntaxError: JsonLocation['syntaxError']
  let repeated: JsonRepeat | undefined
  /** The key waiting for the value that starts at `offset`. */
  const takePending = (offset: number): JsonKey | undefined => {
    const frame = frames[frames.length - 1]
    const key = frame?.pending
    if (frame === undefined || key === undefined) return undefined
    frame.pending = undefined
    key.valueStart = offset
    return key
  }
  const begin = (offset: number, object: boolean): void => {
    if (frames.length >= MAX_JSON_DEPTH) throw new TooDeep(offset)
    const parentPath = frames[frames.length - 1]?.path
    const owner = takePending(offset)
    const path = frames.length === 0 ? [] : owner !== undefined && parentPath !== undefined ? [...parentPath, owner.name] : undefined
    const mode = !object ? 'skip' : path?.length === 0 ? 'keys' : path === undefined ? 'skip' : options.record(path)
    const members = mode === 'skip' ? undefined : []
    if (owner !== undefined) owner.members = members
    if (frames.length === 0 && object) root = members
    frames.push({ owner, path: members === undefined ? undefined : path, members, seen: object && mode !== 'entries' ? new Map() : undefined, pending: undefined })
  }
  const end = (offset: number, length: number): void => {
    const owner = frames.pop()?.owner
    if (owner !== undefined) owner.valueEnd = offset + length
  }
  try {
    visit(text, {
      onObjectBegin: (offset) => begin(offset, true),
      onArrayBegin: (offset) => begin(offset, false),
      onObjectEnd: end,
      onArrayEnd: end,
      onLiteralValue: (_value: unknown, offset, length) => {
        const key = takePending(offset)
        if (key !== undefined) key.valueEnd = offset + length
      },
      onObjectProperty: (name, offset, _length, line, character, pathSupplier) => {
        const frame = frames[frames.length - 1]
        const first = frame?.seen?.get(name)
        if (first !== undefined) repeated ??= { name, offset, firstOffset: first, path: pathSupplier() }
        else frame?.seen?.set(name, offset)
        if (frame?.members === undefined) return
        const key: JsonKey = { name, offset, line: line + 1, column: character + 1, valueStart: -1, valueEnd: -1, members: undefined }
        frame.members.push(key)
        frame.pending = key
      },
      onError: (code, offset) => {
        syntaxError ??= { offset, reason: printParseErrorCode(code).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() }
      },
    }, { allowTrailingComma: options.jsonc, disallowComments: !options.jsonc, allowEmptyContent: false })
  } catch (error) {
    if (error instanceof TooDeep) return { root, tooDeep: error.offset }
    throw error
  }
  return { root, ...(syntaxError === undefined ? {} : { syntaxError }), ...(repeated === undefined ? {} : { repeated }) }
}

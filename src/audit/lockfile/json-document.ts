import { parse } from 'jsonc-parser'
import { locateJson, MAX_JSON_DEPTH, type JsonKey, type JsonRecord } from './json-locate.js'
import { describeType, failAt, quote, type ReadContext } from './lockfile-error.js'
import { isRecord, own } from './record.js'

/** A JSON(C) lockfile: its value, the keys of the objects the reader asked to record, and how to read one value again. */
export interface JsonDocument {
  readonly value: unknown
  /** The top-level keys; undefined when the text is not an object. */
  readonly root: JsonKey[] | undefined
  /** The value of one occurrence of a repeated key (the document's value holds only the last). */
  valueOf(key: JsonKey): unknown
  /** The keys of the object that is `key`'s value: those recorded, or (on demand, to report an error) located again. */
  membersOf(key: JsonKey): readonly JsonKey[]
}

/**
 * Parse JSON (`jsonc: false`, what npm accepts: JSON.parse) or JSONC (bun: jsonc-parser's `parse`
 * with trailing commas). Fails at the first syntax error, at nesting deeper than MAX_JSON_DEPTH, and
 * at a key repeated in any object but those recorded as `entries` (the package manager would
 * silently read only the last one).
 */
export const readJsonDocument = (
  context: ReadContext,
  text: string,
  options: { readonly jsonc: boolean; readonly record: JsonRecord },
): JsonDocument => {
  const kind = options.jsonc ? 'JSONC' : 'JSON'
  const location = locateJson(text, options)
  if (location.tooDeep !== undefined) throw failAt(context, location.tooDeep, `nested more than ${MAX_JSON_DEPTH} levels deep, which no package manager writes`)
  if (location.syntaxError !== undefined) throw failAt(context, location.syntaxError.offset, `not valid ${kind}: ${location.syntaxError.reason}`)
  const parseText = (source: string): unknown => (options.jsonc ? parse(source, [], { allowTrailingComma: true }) as unknown : JSON.parse(source) as unknown)
  let value: unknown
  try {
    value = parseText(text)
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1]
    throw failAt(context, position === undefined ? 0 : Number(position), `not valid ${kind}`)
  }
  const repeated = location.repeated
  if (repeated !== undefined) {
    throw failAt(context, repeated.offset, `duplicate key ${quote(repeated.name)} in ${describePath(repeated.path)} `
      + `(first at line ${context.lines.position(repeated.firstOffset).line}); the package manager would use only the last one`)
  }
  const membersOf = (key: JsonKey): readonly JsonKey[] => {
    if (key.members !== undefined) return key.members
    const shift = key.valueStart
    const inner = locateJson(text.slice(shift, key.valueEnd), { jsonc: options.jsonc, record: () => 'skip' }).root ?? []
    return inner.map((field) => ({ ...field, offset: field.offset + shift, ...context.lines.position(field.offset + shift) }))
  }
  return { value, root: location.root, valueOf: (key) => parseText(text.slice(key.valueStart, key.valueEnd)), membersOf }
}

/** `the top level`, `"packages" > "node_modules/a"`; long paths keep their last three keys. */
const describePath = (path: ReadonlyArray<string | number>): string => {
  if (path.length === 0) return 'the top level'
  const shown = path.slice(-3).map((segment) => (typeof segment === 'number' ? `[${segment}]` : quote(segment)))
  return `${path.length > 3 ? '… > ' : ''}${shown.join(' > ')}`
}

/** The keys of an object, by name, each with every occurrence in file order. */
export const groupKeys = (members: readonly JsonKey[] | undefined): Map<string, JsonKey[]> => {
  const groups = new Map<string, JsonKey[]>()
  for (const key of members ?? []) {
    const group = groups.get(key.name)
    if (group === undefined) groups.set(key.name, [key])
    else group.push(key)
  }
  return groups
}

/** Typed reads of JSON object fields that fail at the field's key. */
export interface JsonFieldReader {
  string(object: Record<string, unknown>, key: JsonKey | undefined, name: string): string | undefined
  boolean(object: Record<string, unknown>, key: JsonKey | undefined, name: string): boolean | undefined
  record(object: Record<string, unknown>, key: JsonKey | undefined, name: string): Record<string, unknown> | undefined
}

/**
 * `key` is the recorded key whose value `object` is (undefined for the top level); a failure points
 * at the field's own key. `where(key)` names the object in messages.
 */
export const createFieldReader = (context: ReadContext, doc: JsonDocument, where: (key: JsonKey | undefined) => string): JsonFieldReader => {
  const fail = (key: JsonKey | undefined, name: string, type: string, value: unknown): never => {
    const members = key === undefined ? doc.root : doc.membersOf(key)
    const offset = members?.findLast((field) => field.name === name)?.offset ?? key?.offset ?? 0
    throw failAt(context, offset, `${where(key)}: ${quote(name)} must be ${type}, not ${describeType(value)}`)
  }
  return {
    string(object, key, name) {
      const value = own(object, name)
      return value === undefined || typeof value === 'string' ? value : fail(key, name, 'a string', value)
    },
    boolean(object, key, name) {
      const value = own(object, name)
      return value === undefined || typeof value === 'boolean' ? value : fail(key, name, 'true or false', value)
    },
    record(object, key, name) {
      const value = own(object, name)
      return value === undefined || isRecord(value) ? value : fail(key, name, 'an object', value)
    },
  }
}

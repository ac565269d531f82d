import { blankOut, MAX_JSON_DEPTH, scanJson, type JsonIndexPredicate, type JsonKey, type JsonMembers } from './json-scan.js'
import type { ParseError } from 'jsonc-parser'
import { describeType, failAt, quote, type ReadContext } from './lockfile-error.js'
import { isRecord, own } from './record.js'

/** A JSON(C) lockfile: its value (JSON.parse), the positions of the keys asked for, and the text the value was parsed from. */
export interface JsonDocument {
  readonly value: unknown
  readonly root: JsonMembers | undefined
  /** The text with JSONC comments and trailing commas blanked: slices of it parse as JSON. */
  readonly text: string
}

/**
 * Parse JSON (`jsonc: false`, what npm accepts) or JSONC (bun). On a syntax error the position comes
 * from jsonc-parser, loaded only then.
 */
export const readJsonDocument = async (
  context: ReadContext,
  text: string,
  options: { readonly jsonc: boolean; readonly index: JsonIndexPredicate },
): Promise<JsonDocument> => {
  const scan = scanJson(text, options)
  if (scan.tooDeep !== undefined) throw failAt(context, scan.tooDeep, `nested more than ${MAX_JSON_DEPTH} levels deep, which no package manager writes`)
  const clean = blankOut(text, scan.blanks)
  try {
    return { value: JSON.parse(clean) as unknown, root: scan.root, text: clean }
  } catch (error) {
    throw await locateSyntaxError(context, text, options.jsonc, error)
  }
}

const locateSyntaxError = async (context: ReadContext, text: string, jsonc: boolean, cause: unknown): Promise<Error> => {
  const { parse, printParseErrorCode } = await import('jsonc-parser')
  const errors: ParseError[] = []
  parse(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc, allowEmptyContent: false })
  const first = errors[0]
  if (first !== undefined) {
    const what = printParseErrorCode(first.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
    return failAt(context, first.offset, `not valid ${jsonc ? 'JSONC' : 'JSON'}: ${what}`)
  }
  const position = /position (\d+)/.exec(cause instanceof Error ? cause.message : '')?.[1]
  return failAt(context, position === undefined ? 0 : Number(position), `not valid ${jsonc ? 'JSONC' : 'JSON'}`)
}

/** The keys of an object, by name, each with every occurrence in file order. */
export const groupKeys = (members: JsonMembers | undefined): Map<string, JsonKey[]> => {
  const groups = new Map<string, JsonKey[]>()
  for (const key of members?.keys ?? []) {
    const group = groups.get(key.name)
    if (group === undefined) groups.set(key.name, [key])
    else group.push(key)
  }
  return groups
}

/** Fails on the second occurrence of a repeated key: a package manager would silently read only the last one. */
export const rejectDuplicateKeys = (context: ReadContext, members: JsonMembers | undefined, where: string): void => {
  const seen = new Map<string, JsonKey>()
  for (const key of members?.keys ?? []) {
    const first = seen.get(key.name)
    if (first !== undefined) {
      throw failAt(context, key.offset,
        `duplicate key ${quote(key.name)} in ${where} (first at line ${context.lines.position(first.offset).line}); the package manager would use only the last one`)
    }
    seen.set(key.name, key)
  }
}

/**
 * The keys of the object that is `key`'s value, with absolute offsets: those the scan recorded, or
 * (once, then kept) a scan of just that value. Entries are scanned again only to report an error.
 */
const membersOf = (doc: JsonDocument, key: JsonKey): JsonMembers => {
  if (key.members !== undefined) return key.members
  const shift = key.valueStart
  const scan = scanJson(doc.text.slice(shift, key.valueEnd), { jsonc: false, index: () => false })
  const keys = (scan.root?.keys ?? []).map((inner): JsonKey =>
    ({ ...inner, offset: inner.offset + shift, valueStart: inner.valueStart + shift, valueEnd: inner.valueEnd + shift, members: undefined }))
  key.members = { offset: shift, keys }
  return key.members
}

/** Fails when the object that is `key`'s value repeats a key (the scan counted more keys than JSON.parse kept). */
export const rejectRepeatedFields = (context: ReadContext, doc: JsonDocument, key: JsonKey, value: Record<string, unknown>, where: () => string): void => {
  if (key.count !== -1 && key.count !== Object.keys(value).length) rejectDuplicateKeys(context, membersOf(doc, key), where())
}

/**
 * Typed reads of JSON object fields that fail at the field's key. One reader serves every object
 * of a section: nothing is allocated per object unless a read fails.
 */
export interface JsonFieldReader {
  string(object: Record<string, unknown>, key: JsonKey | undefined, name: string): string | undefined
  boolean(object: Record<string, unknown>, key: JsonKey | undefined, name: string): boolean | undefined
  record(object: Record<string, unknown>, key: JsonKey | undefined, name: string): Record<string, unknown> | undefined
}

/**
 * `key` is the key whose value `object` is (its fields are located by scanning that value again,
 * only on failure); undefined for the top level. `where(key)` names the object in messages.
 */
export const createFieldReader = (context: ReadContext, doc: JsonDocument, where: (key: JsonKey | undefined) => string): JsonFieldReader => {
  const fail = (key: JsonKey | undefined, name: string, type: string, value: unknown): never => {
    const members = key === undefined ? doc.root : membersOf(doc, key)
    const offset = members?.keys.findLast((field) => field.name === name)?.offset ?? key?.offset ?? 0
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


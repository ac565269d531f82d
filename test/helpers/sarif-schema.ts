/**
 * Validation against the official OASIS SARIF 2.1.0 JSON Schema (test/fixtures/schemas/, see its
 * README for the source). The schema is draft-04; Ajv 8 speaks draft-07 and later, so this
 * helper first proves that every keyword the schema uses means the same in both drafts, then
 * compiles it with Ajv's draft-07 class.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { FIXTURES_DIR } from './fixtures.js'
import { addStrictFormats } from './json-formats.js'

export const SARIF_SCHEMA_FILE = path.join(FIXTURES_DIR, 'schemas', 'sarif-schema-2.1.0.json')

/** Keywords with identical semantics in draft-04 and draft-07 (draft-04's boolean exclusiveMinimum, for one, is not). */
const PORTABLE_KEYWORDS = new Set([
  '$ref', 'type', 'description', 'title', 'default', 'properties', 'additionalProperties', 'required', 'items',
  'minItems', 'uniqueItems', 'minimum', 'maximum', 'pattern', 'format', 'enum', 'anyOf', 'oneOf', 'definitions',
])

type Schema = Record<string, unknown>

const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Every keyword used in a schema position, walking subschemas only (property names are not keywords). */
const collectKeywords = (schema: Schema, into: Set<string>): void => {
  for (const [key, value] of Object.entries(schema)) {
    into.add(key)
    if ((key === 'properties' || key === 'definitions') && isObject(value)) {
      for (const sub of Object.values(value)) if (isObject(sub)) collectKeywords(sub, into)
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      collectKeywords(value, into)
    } else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      for (const sub of value) if (isObject(sub)) collectKeywords(sub, into)
    }
  }
}

const compile = (): ValidateFunction => {
  const schema = JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as Schema
  if (schema['$schema'] !== 'http://json-schema.org/draft-04/schema#') throw new Error(`unexpected $schema ${String(schema['$schema'])}`)
  const keywords = new Set<string>()
  const { $schema: _draft, id, ...rest } = schema
  collectKeywords(rest, keywords)
  const foreign = [...keywords].filter((keyword) => !PORTABLE_KEYWORDS.has(keyword))
  if (foreign.length > 0) throw new Error(`the SARIF schema uses keywords this helper does not translate: ${foreign.join(', ')}`)
  // strict: false because the schema was not written for Ajv's strict mode (e.g. `required` of
  // properties declared in an anyOf sibling); it changes no validation result.
  const ajv = addStrictFormats(new Ajv({ allErrors: true, strict: false }))
  return ajv.compile({ ...rest, $id: id })
}

let compiled: ValidateFunction | undefined

const describe = (error: ErrorObject): string => `${error.instancePath || '(log)'}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`

/** Errors of a SARIF log against the official 2.1.0 schema; `[]` when it is valid. */
export const sarifSchemaErrors = (log: unknown): string[] => {
  compiled ??= compile()
  return compiled(log) ? [] : (compiled.errors ?? []).map(describe)
}

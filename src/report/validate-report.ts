import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js'

export type ReportValidation = { readonly kind: 'valid' } | { readonly kind: 'invalid'; readonly errors: string[] }

const SCHEMA_URL = new URL('../../schemas/report.schema.json', import.meta.url)

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

const isDateTime = (value: string): boolean => RFC3339.test(value) && !Number.isNaN(Date.parse(value))

const compileValidator = (): ValidateFunction => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true })
  ajv.addFormat('date-time', isDateTime)
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object)
}

const lazy = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined
  return () => (made ??= { value: make() }).value
}

const getValidator = lazy(compileValidator)

const describeError = (error: ErrorObject): string => {
  const where = error.instancePath === '' ? '(report)' : error.instancePath
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'additionalProperties') return `${where}: unknown property "${String(params['additionalProperty'])}"`
  if (error.keyword === 'enum') return `${where}: ${error.message ?? 'invalid'} (${(params['allowedValues'] as unknown[]).join(', ')})`
  return `${where}: ${error.message ?? error.keyword}`
}

/**
 * Check a value against the report JSON Schema (schemas/report.schema.json, schemaVersion 1).
 * Every error is listed as `<JSON pointer>: <what is wrong>`. The schema is compiled on first use.
 */
export const validateReport = (value: unknown): ReportValidation => {
  const validate = getValidator()
  if (validate(value)) return { kind: 'valid' }
  return { kind: 'invalid', errors: (validate.errors ?? []).map(describeError) }
}

import { failAt, quote, type ReadContext } from './lockfile-error.js'
import { isRecord, own } from './record.js'
import type { YarnBlock } from './yarn-scan.js'

/** Typed access to one yarn.lock entry's fields; a wrong type fails at the field's line. */
export interface YarnFields {
  string(name: string): string | undefined
  record(name: string): Record<string, unknown> | undefined
}

export const yarnFields = (context: ReadContext, block: YarnBlock, value: unknown): YarnFields => {
  if (!isRecord(value)) throw failAt(context, { line: block.line, column: 1 }, `the entry ${quote(block.key)} must be a map of fields`)
  const at = (name: string): { line: number; column: number } => ({ line: block.fields.get(name) ?? block.line, column: 3 })
  return {
    string(name) {
      const field = own(value, name)
      if (field === undefined || typeof field === 'string') return field
      throw failAt(context, at(name), `${quote(name)} of ${quote(block.key)} must be a string`)
    },
    record(name) {
      const field = own(value, name)
      if (field === undefined || isRecord(field)) return field
      throw failAt(context, at(name), `${quote(name)} of ${quote(block.key)} must be a map`)
    },
  }
}

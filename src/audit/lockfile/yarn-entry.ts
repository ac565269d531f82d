import { failAt, quote, type ReadContext } from './lockfile-error.js'
import { isRecord, own } from './record.js'

/** One top-level entry of a yarn.lock as laid out in the text. */
export interface YarnBlock {
  /** The key decoded: one descriptor list, `a@^1, a@^2`. */
  readonly key: string
  readonly descriptors: readonly string[]
  /** The key's 1-based line; keys start at column 1. */
  readonly line: number
  /** The line of each field (the lines indented by two spaces), by name. */
  readonly fields: { get(name: string): number | undefined }
}

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

/** Fails when two entries list the same descriptor: yarn would silently use only the last one. */
export const rejectRepeatedDescriptors = (context: ReadContext, blocks: readonly YarnBlock[]): void => {
  const seen = new Map<string, number>()
  for (const block of blocks) {
    for (const descriptor of block.descriptors) {
      const first = seen.get(descriptor)
      if (first !== undefined) {
        throw failAt(context, { line: block.line, column: 1 },
          `the entry for ${quote(descriptor)} is written twice (first at line ${first}); yarn would silently use only the last one`)
      }
      seen.set(descriptor, block.line)
    }
  }
}

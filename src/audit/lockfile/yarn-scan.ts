import { failAt, quote, type ReadContext } from './lockfile-error.js'

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

/**
 * Where the entries of a yarn.lock are, and repeated fields, which the parsers let through silently
 * (the last one wins in both yarn 1 and berry): the same field twice in one entry is an error here.
 * Reads lines only: keys at column 1, fields indented by two spaces.
 * `classic` keys are comma-separated descriptors each quoted or not (`"a@^1", a@^2`); berry keys are
 * one YAML scalar holding the comma-separated list.
 */
export const scanYarnLock = (context: ReadContext, text: string, classic: boolean): YarnBlock[] => {
  const blocks: YarnBlock[] = []
  let fields: Map<string, number> | undefined
  let line = 0
  for (let start = 0; start <= text.length; line += 1) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    const raw = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
    const offset = start
    start = end + 1
    if (raw.trim() === '' || raw.trimStart().startsWith('#') || raw === '---') continue
    if (!raw.startsWith(' ')) {
      const key = decodeKey(context, raw, offset, classic)
      fields = new Map()
      blocks.push({ key: key.join(', '), descriptors: key, line: line + 1, fields })
    } else if (fields !== undefined && raw.startsWith('  ') && raw[2] !== ' ') {
      const name = fieldName(raw.slice(2))
      const first = fields.get(name)
      if (first !== undefined) {
        throw failAt(context, offset + 2, `field ${quote(name)} is written twice in one entry (first at line ${first}); yarn would silently use only the last one`)
      }
      fields.set(name, line + 1)
    }
  }
  return blocks
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

/** The key of a top-level line (`key:` or, in YAML, `key: value`), split into descriptors. */
const decodeKey = (context: ReadContext, raw: string, offset: number, classic: boolean): string[] => {
  const text = raw.replace(/\s+$/, '')
  const colon = text.endsWith(':') ? text.length - 1 : keyEnd(text)
  const key = text.slice(0, colon).trim()
  try {
    if (classic) return splitClassicKey(key)
    return unquoteYaml(key).split(/\s*,\s*/)
  } catch {
    throw failAt(context, offset, `cannot read the key ${quote(key)}`)
  }
}

/** Where `key: value` splits: the first `: ` outside quotes. */
const keyEnd = (text: string): number => {
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = closingQuote(text, 0)
    const colon = text.indexOf(':', close + 1)
    return colon === -1 ? text.length : colon
  }
  const colon = text.indexOf(': ')
  return colon === -1 ? text.length : colon
}

/** yarn 1: `"a@^1", a@^2` gives `a@^1` and `a@^2`; quoted parts are JSON strings. */
const splitClassicKey = (key: string): string[] => {
  const out: string[] = []
  let at = 0
  while (at < key.length) {
    while (key[at] === ' ') at += 1
    if (key[at] === '"') {
      const close = closingQuote(key, at)
      out.push(JSON.parse(key.slice(at, close + 1)) as string)
      at = close + 1
      while (key[at] === ' ') at += 1
      if (at < key.length && key[at] !== ',') throw new Error('expected a comma')
    } else {
      const comma = key.indexOf(',', at)
      out.push(key.slice(at, comma === -1 ? key.length : comma).trim())
      at = comma === -1 ? key.length : comma
    }
    at += 1
  }
  return out
}

/** A YAML flow scalar as yarn berry writes keys: double-quoted (JSON escapes), single-quoted, or plain. */
const unquoteYaml = (key: string): string => {
  if (key.startsWith('"')) return JSON.parse(key) as string
  if (key.startsWith("'") && key.endsWith("'") && key.length > 1) return key.slice(1, -1).replace(/''/g, "'")
  return key
}

const closingQuote = (text: string, open: number): number => {
  const quoteChar = text[open]
  for (let at = open + 1; at < text.length; at += 1) {
    if (text[at] === '\\' && quoteChar === '"') at += 1
    else if (text[at] === quoteChar) return at
  }
  throw new Error('unterminated quote')
}

/** `version "1.0.0"` (yarn 1) or `version: 1.0.0` (berry) gives `version`; a quoted name is unquoted. */
const fieldName = (text: string): string => {
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text.slice(0, closingQuote(text, 0) + 1)) as string
    } catch {
      return text
    }
  }
  const end = text.search(/[ :]/)
  return end === -1 ? text : text.slice(0, end)
}

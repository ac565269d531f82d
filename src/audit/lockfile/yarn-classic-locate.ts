import { failAt, quote, type ReadContext } from './lockfile-error.js'
import type { YarnBlock } from './yarn-entry.js'

/**
 * Where the entries of a yarn 1 lockfile are (parseSyml gives values, not lines): one pass over the
 * lines, keys at column 1, fields indented by two spaces. Also refuses the same field twice in one
 * entry, which the parser lets through silently (the last one wins, as in yarn 1).
 */
export const locateYarnClassic = (context: ReadContext, text: string): YarnBlock[] => {
  const blocks: YarnBlock[] = []
  let fields: Map<string, number> | undefined
  let line = 0
  for (let start = 0; start <= text.length; line += 1) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    const raw = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
    const offset = start
    start = end + 1
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue
    if (!raw.startsWith(' ')) {
      const key = headerDescriptors(context, raw, offset)
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

/** `"a@^1", a@^2:` gives `a@^1` and `a@^2`; quoted parts are JSON strings. */
const headerDescriptors = (context: ReadContext, raw: string, offset: number): string[] => {
  const text = raw.replace(/\s+$/, '')
  const key = (text.endsWith(':') ? text.slice(0, -1) : text).trim()
  const out: string[] = []
  try {
    for (let at = 0; at < key.length; at += 1) {
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
    }
  } catch {
    throw failAt(context, offset, `cannot read the key ${quote(key)}`)
  }
  return out
}

const closingQuote = (text: string, open: number): number => {
  for (let at = open + 1; at < text.length; at += 1) {
    if (text[at] === '\\') at += 1
    else if (text[at] === '"') return at
  }
  throw new Error('unterminated quote')
}

/** `version "1.0.0"` gives `version`; a quoted name is unquoted. */
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

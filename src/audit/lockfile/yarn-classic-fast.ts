import type { YarnBlock } from './yarn-scan.js'

/**
 * A reader for the yarn.lock layout yarn 1 writes (keys at column 1, `name value` fields indented
 * by two spaces, one level of `name value` maps under `dependencies:`-style fields), giving the
 * same object parseSyml's grammar gives, and the entries' lines, in one pass: about twice as fast
 * as the grammar plus the line scanner. Anything else (other indentation, `name: value` fields,
 * trailing blanks, tabs, a repeated field, `__proto__` names ...) returns undefined and the caller
 * uses those, so this only ever reads what it is sure the grammar reads the same way.
 */
export const parseClassicYarnLock = (text: string): { parsed: Record<string, unknown>; blocks: YarnBlock[] } | undefined => {
  const parsed: Record<string, unknown> = {}
  const blocks: YarnBlock[] = []
  let entry: Record<string, unknown> | undefined
  let fields: Map<string, number> | undefined
  let nested: Record<string, unknown> | undefined
  let number = 0
  for (let start = 0; start <= text.length; ) {
    number += 1
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    let line = text.slice(start, end)
    start = end + 1
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.includes('\r') || line.includes('\t')) return undefined
    const content = line.trimStart()
    if (content === '') continue
    if (content.startsWith('#')) {
      if (content === '#') return undefined
      continue
    }
    if (line.endsWith(' ')) return undefined
    const indent = line.length - content.length
    if (indent === 0) {
      if (!line.endsWith(':')) return undefined
      const keys = readKeys(line.slice(0, -1))
      if (keys === undefined) return undefined
      entry = {}
      fields = new Map()
      nested = undefined
      blocks.push({ key: keys.join(', '), descriptors: keys, line: number, fields })
      for (const key of keys) parsed[key] = entry
    } else if (indent === 2 && entry !== undefined && fields !== undefined) {
      nested = undefined
      const name = content.endsWith(':') ? readToken(content.slice(0, -1)) : readToken(content)
      if (name === undefined || Object.hasOwn(entry, name.value)) return undefined
      fields.set(name.value, number)
      if (content.endsWith(':')) {
        if (name.end !== content.length - 1) return undefined
        nested = {}
        entry[name.value] = nested
      } else if (!readField(content, entry)) return undefined
    } else if (indent === 4 && nested !== undefined) {
      if (!readField(content, nested)) return undefined
    } else return undefined
  }
  return { parsed, blocks }
}

/** `name value` with a quoted or bare name and a quoted, bare or `null` value, nothing after. */
const readField = (content: string, into: Record<string, unknown>): boolean => {
  const name = readToken(content)
  if (name === undefined || content[name.end] !== ' ' || Object.hasOwn(into, name.value)) return false
  let at = name.end
  while (content[at] === ' ') at += 1
  const value = readToken(content.slice(at))
  if (value === undefined || at + value.end !== content.length) return false
  into[name.value] = value.quoted || value.value !== 'null' ? value.value : null
  return true
}

const BARE = /^[a-zA-Z0-9/][^\s:,]*/

/** A JSON-quoted string or a bare token (`[a-zA-Z0-9/]` then anything but blanks, `:` and `,`). */
const readToken = (text: string): { value: string; end: number; quoted: boolean } | undefined => {
  if (text.startsWith('"')) {
    for (let i = 1; i < text.length; i += 1) {
      const c = text.charCodeAt(i)
      if (c === 92) i += 1
      else if (c === 34) {
        const raw = text.slice(0, i + 1)
        let value: string
        try {
          value = raw.includes('\\') ? JSON.parse(raw) as string : raw.slice(1, -1)
        } catch {
          return undefined
        }
        return value === '__proto__' || /[\u0000-\u001f\u007f]/.test(raw) ? undefined : { value, end: i + 1, quoted: true }
      }
    }
    return undefined
  }
  const bare = BARE.exec(text)?.[0]
  return bare === undefined || bare === '__proto__' ? undefined : { value: bare, end: bare.length, quoted: false }
}

/** `"a@^1", a@^2` (the key line without its colon): tokens separated by `, `. */
const readKeys = (text: string): string[] | undefined => {
  const keys: string[] = []
  let rest = text
  for (;;) {
    const token = readToken(rest)
    if (token === undefined) return undefined
    keys.push(token.value)
    rest = rest.slice(token.end)
    if (rest === '') return keys
    if (!rest.startsWith(', ')) return undefined
    rest = rest.slice(2)
  }
}

import { findNodeAtLocation, type Node } from 'jsonc-parser'
import { parsePackageJsonText, type PackageJsonText } from './package-json-text.js'

/** allowScripts as an ordered list: the order is the file's, and new keys go last, as npm writes them. */
export type AllowEntries = ReadonlyArray<readonly [string, boolean]>

/**
 * Rewrite package.json so that `allowScripts` holds exactly `next`, touching nothing else: values
 * change in place, removed keys go with their comma and line, new keys are appended in the style of
 * the entries already there (or, for a new field, appended last in the file's own indentation, which
 * is where npm 11 puts it). An empty `next` drops the field, as `npm install-scripts prune` does.
 * For a file npm itself wrote the result is byte for byte what npm 11 writes.
 *
 * jsonc-parser's `modify` is not used for the edits: its formatter also re-indents the property
 * before the insertion point (a one-line `"files": ["a"]` becomes three lines).
 */
export const editAllowScripts = (doc: PackageJsonText, next: AllowEntries): string => {
  const current = entriesOf(doc)
  if (current === null) return next.length === 0 ? doc.text : insertLast(doc, doc.root, 'allowScripts', (base) => renderObject(doc, next, base))
  if (next.length === 0) return removeProperty(doc, doc.root, 'allowScripts')
  const before = new Map(current)
  const after = new Map(next)
  if (!appendsOnly(current, next)) {
    const value = allowNode(doc)
    return splice(doc.text, value.offset, value.length, renderObject(doc, next, lineIndent(doc.text, value.offset)))
  }
  let text = doc.text
  const reparse = (): PackageJsonText => parsePackageJsonText(doc.file, text)
  for (const [key, value] of next) {
    if (before.has(key) && before.get(key) !== value) {
      const node = findNodeAtLocation(reparse().root, ['allowScripts', key])
      if (node !== undefined) text = splice(text, node.offset, node.length, String(value))
    }
  }
  for (const [key, value] of next) {
    if (!before.has(key)) {
      const now = reparse()
      text = insertLast(now, allowNode(now), key, () => String(value))
    }
  }
  for (const [key] of current) {
    if (!after.has(key)) {
      const now = reparse()
      text = removeProperty(now, allowNode(now), key)
    }
  }
  return text
}

/** The entries of `allowScripts` in file order (values as found), or null when the field is absent. */
export const entriesOf = (doc: PackageJsonText): Array<[string, unknown]> | null => {
  const node = findNodeAtLocation(doc.root, ['allowScripts'])
  if (node === undefined) return null
  if (node.type !== 'object') return []
  return (node.children ?? []).flatMap((property) => {
    const [key, value] = property.children ?? []
    return typeof key?.value === 'string' && value !== undefined ? [[key.value, value.value as unknown] as [string, unknown]] : []
  })
}

const allowNode = (doc: PackageJsonText): Node => {
  const node = findNodeAtLocation(doc.root, ['allowScripts'])
  if (node?.type !== 'object') throw new Error(`${doc.file}: allowScripts is not an object (validated before editing)`)
  return node
}

/** Kept keys keep their order and every new key comes after them: the edit can be done in place. */
const appendsOnly = (current: ReadonlyArray<readonly [string, unknown]>, next: AllowEntries): boolean => {
  const currentKeys = new Set(current.map(([key]) => key))
  const keptInNext = next.filter(([key]) => currentKeys.has(key)).map(([key]) => key)
  const nextKeys = new Set(next.map(([key]) => key))
  const keptInCurrent = current.filter(([key]) => nextKeys.has(key)).map(([key]) => key)
  const firstNew = next.findIndex(([key]) => !currentKeys.has(key))
  const lastKept = next.findLastIndex(([key]) => currentKeys.has(key))
  return keptInNext.join('\u0000') === keptInCurrent.join('\u0000') && (firstNew < 0 || firstNew > lastKept)
}

const splice = (text: string, offset: number, length: number, insert: string): string =>
  `${text.slice(0, offset)}${insert}${text.slice(offset + length)}`

/** The whitespace that starts the line holding `offset`. */
const lineIndent = (text: string, offset: number): string => {
  const start = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? ''
}

/** `": "` or `":"`, as the object's last property writes it. */
const colonOf = (doc: PackageJsonText, object: Node): string => {
  const [key, value] = object.children?.at(-1)?.children ?? []
  if (key !== undefined && value !== undefined) return doc.text.slice(key.offset + key.length, value.offset)
  return doc.indent === '' ? ':' : ': '
}

const renderObject = (doc: PackageJsonText, entries: AllowEntries, base: string): string => {
  const colon = doc.indent === '' ? ':' : ': '
  const pairs = entries.map(([key, value]) => `${JSON.stringify(key)}${colon}${String(value)}`)
  if (doc.indent === '') return `{${pairs.join(',')}}`
  return `{${doc.eol}${pairs.map((pair) => `${base}${doc.indent}${pair}`).join(`,${doc.eol}`)}${doc.eol}${base}}`
}

/** Append `"key": value` after the object's last property, in the style of its existing separators. */
const insertLast = (doc: PackageJsonText, object: Node, key: string, render: (base: string) => string): string => {
  const { text } = doc
  const children = object.children ?? []
  const last = children.at(-1)
  const colon = colonOf(doc, object)
  if (last === undefined) {
    const base = lineIndent(text, object.offset)
    const pair = `${JSON.stringify(key)}${colon}${render(`${base}${doc.indent}`)}`
    const body = doc.indent === '' ? `{${pair}}` : `{${doc.eol}${base}${doc.indent}${pair}${doc.eol}${base}}`
    return splice(text, object.offset, object.length, body)
  }
  const previous = children.at(-2)
  const leading = text.slice(object.offset + 1, last.offset)
  const separator = previous !== undefined ? text.slice(previous.offset + previous.length, last.offset)
    : leading.includes('\n') || doc.indent === '' ? `,${leading}` : `, `
  const base = separator.includes('\n') ? separator.slice(separator.lastIndexOf('\n') + 1) : ''
  return splice(text, last.offset + last.length, 0, `${separator}${JSON.stringify(key)}${colon}${render(base)}`)
}

/** Remove the property `key` with its separator; the last one leaves `{}`. */
const removeProperty = (doc: PackageJsonText, object: Node, key: string): string => {
  const children = object.children ?? []
  const index = children.findIndex((property) => property.children?.[0]?.value === key)
  const property = children[index]
  if (property === undefined) return doc.text
  if (children.length === 1) return splice(doc.text, object.offset, object.length, '{}')
  const following = children[index + 1]
  if (following !== undefined) return splice(doc.text, property.offset, following.offset - property.offset, '')
  const previous = children[index - 1]
  const from = previous === undefined ? property.offset : previous.offset + previous.length
  return splice(doc.text, from, property.offset + property.length - from, '')
}

/**
 * Write learnt grants into the text of safe-install.policy.json (pure). An existing file keeps its
 * formatting, key order and everything else byte for byte: entries are appended after the last
 * element of the list or object they extend, in that container's own style (one line stays one
 * line; otherwise the last element's indentation and the file's line ending), new package keys go
 * at the end of `packages`. A new file gets `$schema` and `"extends": "default"`. Merging the same
 * grants twice changes nothing.
 */
import { applyEdits, findNodeAtLocation, modify, parseTree, type FormattingOptions, type JSONPath, type Node } from 'jsonc-parser'
import type { LearntGrant } from './learn.js'

/** Where the schema is when safe-install is a dependency of the project (editors resolve it). */
export const POLICY_SCHEMA_REF = './node_modules/safe-install/policies/policy.schema.json'

interface Style {
  readonly eol: string
  /** One level of indentation. */
  readonly unit: string
}

/** Indentation and line ending of a JSON text (two spaces and \n when it has none). */
const detectStyle = (text: string): Style => ({
  eol: text.includes('\r\n') ? '\r\n' : '\n',
  unit: /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ',
})

const formatting = (style: Style): FormattingOptions =>
  style.unit.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol: style.eol } : { insertSpaces: true, tabSize: style.unit.length, eol: style.eol }

const nodeAt = (text: string, path: JSONPath): Node | undefined => {
  const root = parseTree(text)
  return root === undefined ? undefined : findNodeAtLocation(root, path)
}

/**
 * Append one member (`"key": value`) or item after the last child of a non-empty container, in its
 * style; null when the container is empty (jsonc-parser then writes the first member).
 */
const appendTo = (text: string, container: Node, key: string | null, value: unknown, style: Style): string | null => {
  const last = container.children?.at(-1)
  if (last === undefined) return null
  const at = last.offset + last.length
  const label = key === null ? '' : `${JSON.stringify(key)}: `
  if (!text.slice(container.offset, container.offset + container.length).includes('\n')) {
    return `${text.slice(0, at)}, ${label}${JSON.stringify(value)}${text.slice(at)}`
  }
  const lineStart = text.lastIndexOf('\n', last.offset) + 1
  const indent = /^[ \t]*/.exec(text.slice(lineStart, last.offset))?.[0] ?? ''
  const body = JSON.stringify(value, null, style.unit).split('\n').join(`${style.eol}${indent}`)
  return `${text.slice(0, at)},${style.eol}${indent}${label}${body}${text.slice(at)}`
}

/** Set `path` (whose parent object exists) to `value`: appended in kind, or by jsonc-parser into an empty object. */
const addMember = (text: string, path: JSONPath, value: unknown, style: Style): string => {
  const parent = nodeAt(text, path.slice(0, -1))
  const key = String(path.at(-1))
  return (parent === undefined ? null : appendTo(text, parent, key, value, style))
    ?? applyEdits(text, modify(text, path, value, { formattingOptions: formatting(style) }))
}

/** One grant as a new `packages` entry, fields in the documented order. */
const entryOf = (grant: LearntGrant): Record<string, unknown> => ({
  ...(grant.network.length === 0 ? {} : { network: [...grant.network] }),
  ...(grant.write.length === 0 ? {} : { write: [...grant.write] }),
  ...(grant.timeoutSec === undefined ? {} : { timeoutSec: grant.timeoutSec }),
})

const mergeOne = (text: string, grant: LearntGrant, style: Style): string => {
  const base = ['packages', grant.key]
  if (nodeAt(text, base) === undefined) return addMember(text, base, entryOf(grant), style)
  let out = text
  for (const field of ['network', 'write'] as const) {
    for (const value of grant[field]) {
      const list = nodeAt(out, [...base, field])
      if (list === undefined) out = addMember(out, [...base, field], [value], style)
      else if (!(list.children ?? []).some((item) => item.value === value)) {
        out = appendTo(out, list, null, value, style)
          ?? applyEdits(out, modify(out, [...base, field, 0], value, { formattingOptions: formatting(style), isArrayInsertion: true }))
      }
    }
  }
  const wanted = grant.timeoutSec
  const timeout = nodeAt(out, [...base, 'timeoutSec'])
  if (wanted === undefined || (typeof timeout?.value === 'number' && timeout.value >= wanted)) return out
  if (timeout !== undefined) return `${out.slice(0, timeout.offset)}${wanted}${out.slice(timeout.offset + timeout.length)}`
  return addMember(out, [...base, 'timeoutSec'], wanted, style)
}

/**
 * The policy text with the grants merged in. `existing` null: a new file. The caller validates
 * the result against the schema before writing it.
 */
export const mergeGrants = (existing: string | null, grants: readonly LearntGrant[]): string => {
  const start = existing ?? `${JSON.stringify({ $schema: POLICY_SCHEMA_REF, extends: 'default' }, null, 2)}\n`
  const style = detectStyle(start)
  let text = start
  if (grants.length > 0 && nodeAt(text, ['packages']) === undefined) text = addMember(text, ['packages'], {}, style)
  for (const grant of grants) text = mergeOne(text, grant, style)
  return text
}

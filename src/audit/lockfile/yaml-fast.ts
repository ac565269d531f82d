import { MAX_YAML_DEPTH, type YamlMap, type YamlNode, type YamlPair, type YamlScalar, type YamlSeq } from './yaml-tree.js'

/**
 * A reader for the block YAML that pnpm writes (js-yaml output: two-space block maps, block
 * sequences of scalars, one-line flow maps and sequences, plain and quoted scalars, `---` between
 * documents), six to eight times faster than the `yaml` package on a large lockfile. Anything else
 * (anchors, tags, block scalars, multi-line scalars, comments after values, tabs ...) returns
 * undefined and the caller reads the file with the complete parser, so this never has to decide
 * an unusual construct: it either reads the text exactly as the YAML 1.2 core schema does, or declines.
 * `failsafe` keeps plain scalars as their text (js-yaml's FAILSAFE schema, how yarn reads its lockfile).
 */
export const parseSimpleYaml = (text: string, options: { readonly failsafe?: boolean } = {}): YamlNode[] | undefined => {
  const resolve = options.failsafe === true ? keepText : resolvePlain
  const documents: YamlNode[] = []
  let reader = createDocumentReader(resolve)
  let line = 0
  for (let start = 0; start <= text.length; ) {
    line += 1
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    let raw = text.slice(start, end)
    start = end + 1
    if (raw.endsWith('\r')) raw = raw.slice(0, -1)
    if (raw.includes('\r') || raw.includes('\t')) return undefined
    let indent = 0
    while (raw.charCodeAt(indent) === 32) indent += 1
    const content = raw.slice(indent)
    if (content === '' || content.startsWith('#')) continue
    if (indent === 0 && (content.startsWith('---') || content.startsWith('...') || content.startsWith('%'))) {
      if (content !== '---') return undefined
      const document = reader.finish()
      if (document !== undefined) documents.push(document)
      reader = createDocumentReader(resolve)
      continue
    }
    if (!reader.line(content, indent, line)) return undefined
  }
  const last = reader.finish()
  if (last !== undefined) documents.push(last)
  return documents
}

interface Frame {
  readonly indent: number
  readonly node: YamlMap | YamlSeq
}

/** A key whose value starts on a later line. */
interface Pending {
  readonly pair: YamlPair
  readonly indent: number
}

type Resolve = (text: string) => YamlScalar['value']

const keepText: Resolve = (text) => text

const createDocumentReader = (resolve: Resolve): { line(content: string, indent: number, line: number): boolean; finish(): YamlNode | undefined } => {
  let root: YamlNode | undefined
  const stack: Frame[] = []
  let pending: Pending | undefined

  const line = (content: string, indent: number, lineNumber: number): boolean => {
    const item = content === '-' || content.startsWith('- ')
    if (pending !== undefined) {
      const { pair } = pending
      if (indent > pending.indent || (item && indent === pending.indent)) {
        if (stack.length >= MAX_YAML_DEPTH) return false
        const node: YamlMap | YamlSeq = item
          ? { kind: 'seq', items: [], line: lineNumber, column: indent + 1 }
          : { kind: 'map', pairs: [], line: lineNumber, column: indent + 1 }
        pair.value = node
        stack.push({ indent, node })
      }
      pending = undefined
    }
    while (stack.length > 0 && indent < (stack[stack.length - 1]?.indent ?? 0)) stack.pop()
    let top = stack[stack.length - 1]
    // `key:` followed by `- item` lines at the key's own indent: the list ends where the map goes on.
    if (top?.node.kind === 'seq' && !item && stack[stack.length - 2]?.indent === indent) {
      stack.pop()
      top = stack[stack.length - 1]
    }
    if (top === undefined) {
      if (root !== undefined) return false
      root = item ? { kind: 'seq', items: [], line: lineNumber, column: indent + 1 } : { kind: 'map', pairs: [], line: lineNumber, column: indent + 1 }
      top = { indent, node: root }
      stack.push(top)
    }
    if (indent !== top.indent) return false
    if (top.node.kind === 'seq') {
      if (content === '-' || !item) return false
      const value = inlineValue(content.slice(2), lineNumber, indent + 3, resolve)
      if (value === undefined) return false
      top.node.items.push(value)
      return true
    }
    if (item) return false
    const key = blockKey(content, resolve)
    if (key === undefined) return false
    const pair: YamlPair = { key: key.key, value: { kind: 'scalar', value: null, line: lineNumber, column: indent + 1 }, line: lineNumber, column: indent + 1 }
    top.node.pairs.push(pair)
    if (key.rest.trim() === '') {
      pending = { pair, indent }
      return true
    }
    const value = inlineValue(key.rest, lineNumber, indent + 1 + content.length - key.rest.length, resolve)
    if (value === undefined) return false
    pair.value = value
    return true
  }

  return {
    line,
    finish: () => root,
  }
}

const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/
/** Characters that cannot start a plain scalar (the YAML indicators). */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`')

/** `key: rest` or `key:` at the start of `content`; undefined when the key is not a simple scalar. */
const blockKey = (content: string, resolve: Resolve): { key: string; rest: string } | undefined => {
  if (content.startsWith('"') || content.startsWith("'")) {
    const quoted = quotedScalar(content, 0)
    if (quoted === undefined || content[quoted.end] !== ':') return undefined
    const rest = content.slice(quoted.end + 1)
    if (rest !== '' && !rest.startsWith(' ')) return undefined
    return { key: String(quoted.value), rest }
  }
  if (INDICATOR.test(content)) return undefined
  let colon = content.indexOf(': ')
  if (colon === -1) {
    if (!content.endsWith(':')) return undefined
    colon = content.length - 1
  }
  const text = content.slice(0, colon)
  if (text.includes(' #') || text !== text.trimEnd()) return undefined
  return { key: String(resolve(text)), rest: content.slice(colon + 1) }
}

/** A value written after `key: ` or `- `: a quoted or plain scalar, or a one-line flow collection. */
const inlineValue = (rest: string, line: number, column: number, resolve: Resolve): YamlNode | undefined => {
  const lead = rest.length - rest.trimStart().length
  const text = rest.trim()
  const at = column + lead
  const first = text[0]
  if (first === '{' || first === '[') {
    const flow = flowValue(text, 0, line, at, 0, resolve)
    return flow !== undefined && flow.end === text.length ? flow.node : undefined
  }
  if (first === '"' || first === "'") {
    const quoted = quotedScalar(text, 0)
    return quoted !== undefined && quoted.end === text.length ? { kind: 'scalar', value: quoted.value, line, column: at } : undefined
  }
  if (text === '' || INDICATOR.test(text) || text.includes(' #') || text.includes(': ') || text.endsWith(':')) return undefined
  return { kind: 'scalar', value: resolve(text), line, column: at }
}

/** `{k: v, ...}` or `[a, ...]` starting at `at`, on one line; undefined for anything unusual (trailing commas, keys without values ...). */
const flowValue = (text: string, start: number, line: number, column: number, depth: number, resolve: Resolve): { node: YamlNode; end: number } | undefined => {
  if (depth > MAX_YAML_DEPTH) return undefined
  const open = text[start]
  const close = open === '{' ? '}' : ']'
  const node: YamlMap | YamlSeq = open === '{'
    ? { kind: 'map', pairs: [], line, column: column + start }
    : { kind: 'seq', items: [], line, column: column + start }
  let at = skipSpaces(text, start + 1)
  if (text[at] === close) return { node, end: at + 1 }
  for (;;) {
    let key: YamlScalar | undefined
    if (node.kind === 'map') {
      const scalar = flowScalar(text, at, line, column, true, resolve)
      if (scalar === undefined || text[scalar.end] !== ':') return undefined
      key = scalar.node
      at = skipSpaces(text, scalar.end + 1)
    }
    const value = text[at] === '{' || text[at] === '[' ? flowValue(text, at, line, column, depth + 1, resolve) : flowScalar(text, at, line, column, false, resolve)
    if (value === undefined) return undefined
    if (node.kind === 'map' && key !== undefined) node.pairs.push({ key: String(key.value), line: key.line, column: key.column, value: value.node })
    else if (node.kind === 'seq') node.items.push(value.node)
    at = skipSpaces(text, value.end)
    if (text[at] === close) return { node, end: at + 1 }
    if (text[at] !== ',') return undefined
    at = skipSpaces(text, at + 1)
    if (text[at] === close || at >= text.length) return undefined
  }
}

/** A scalar inside a flow collection; a key stops at `:`, a value at `,`, `]` or `}`. */
const flowScalar = (text: string, at: number, line: number, column: number, isKey: boolean, resolve: Resolve): { node: YamlScalar; end: number } | undefined => {
  if (text[at] === '"' || text[at] === "'") {
    const quoted = quotedScalar(text, at)
    if (quoted === undefined) return undefined
    return { node: { kind: 'scalar', value: quoted.value, line, column: column + at }, end: skipSpaces(text, quoted.end) }
  }
  if (INDICATORS.has(text[at] ?? '')) return undefined
  let end = at
  while (end < text.length) {
    const c = text.charCodeAt(end)
    if (c === 44 || c === 93 || c === 125 || c === 91 || c === 123) break
    if (c === 58) {
      const next = text.charCodeAt(end + 1)
      if (Number.isNaN(next) || next === 32 || next === 44 || next === 93 || next === 125) break
    }
    if (c === 35 && text.charCodeAt(end - 1) === 32) return undefined
    end += 1
  }
  const raw = text.slice(at, end).trimEnd()
  if (raw === '' || (!isKey && text[end] === ':') || text[end] === '[' || text[end] === '{') return undefined
  return { node: { kind: 'scalar', value: resolve(raw), line, column: column + at }, end }
}

/** A single- or double-quoted scalar at `at` that closes on the same line; double quotes only with JSON-compatible escapes. */
const quotedScalar = (text: string, at: number): { value: string; end: number } | undefined => {
  if (text[at] === "'") {
    let from = at + 1
    for (let close = text.indexOf("'", from); close !== -1; close = text.indexOf("'", from)) {
      if (text[close + 1] !== "'") {
        const raw = text.slice(at + 1, close)
        return { value: raw.includes("''") ? raw.replace(/''/g, "'") : raw, end: close + 1 }
      }
      from = close + 2
    }
    return undefined
  }
  for (let i = at + 1; i < text.length; i += 1) {
    const c = text.charCodeAt(i)
    if (c === 92) i += 1
    else if (c === 34) {
      const raw = text.slice(at, i + 1)
      if (!raw.includes('\\')) return { value: raw.slice(1, -1), end: i + 1 }
      try {
        return { value: JSON.parse(raw) as string, end: i + 1 }
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

const skipSpaces = (text: string, at: number): number => {
  let i = at
  while (text[i] === ' ') i += 1
  return i
}

/** Only plain scalars starting like a null, boolean or number can resolve to anything but a string. */
const MAYBE_TYPED = /^(?:$|[-+.0-9~nNtTfF])/

/** A plain scalar as the YAML 1.2 core schema (the `yaml` package's default) resolves it. */
const resolvePlain = (text: string): YamlScalar['value'] => {
  if (!MAYBE_TYPED.test(text)) return text
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text)
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.slice(2), 8)
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16)
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return parseFloat(text)
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  if (/^\.(?:nan|NaN|NAN)$/.test(text)) return NaN
  return text
}

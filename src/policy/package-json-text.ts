import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import { SafeInstallError } from '../errors.js'

/**
 * A package.json as text, parsed with locations so that an edit touches only the bytes it must:
 * indentation, key order, newline style (CRLF), the final newline and a BOM all stay as they were.
 */
export interface PackageJsonText {
  readonly file: string
  readonly text: string
  readonly root: Node
  readonly value: Readonly<Record<string, unknown>>
  /** npm's indentation rule (json-parse-even-better-errors): the whitespace starting the line after `{`; '' for a one-line file. */
  readonly indent: string
  readonly eol: '\n' | '\r\n'
}

/** One step of a path into a JSON or YAML document: a field, an index, or a key of a map of package names. */
export type PathSegment = string | number | { readonly key: string }

/** `pnpm.onlyBuiltDependencies[2]`, `allowScripts["esbuild"]`, `dependenciesMeta["fsevents"].built`. */
export const formatPath = (path: readonly PathSegment[]): string =>
  path.map((segment, index) => {
    if (typeof segment === 'number') return `[${segment}]`
    if (typeof segment === 'object') return `[${JSON.stringify(segment.key)}]`
    return /^[A-Za-z_$][\w$]*$/.test(segment) ? `${index === 0 ? '' : '.'}${segment}` : `[${JSON.stringify(segment)}]`
  }).join('')

export const rawPath = (path: readonly PathSegment[]): Array<string | number> =>
  path.map((segment) => (typeof segment === 'object' ? segment.key : segment))

/** 1-based line and column of an offset. */
export const lineColumn = (text: string, offset: number): { line: number; column: number } => {
  const before = text.slice(0, Math.max(0, offset))
  const lastBreak = before.lastIndexOf('\n')
  return { line: before.split('\n').length, column: offset - lastBreak }
}

const describeSyntaxError = (error: ParseError): string => {
  const code = printParseErrorCode(error.error)
  if (code === 'InvalidCommentToken') return 'comments are not allowed in package.json (npm reads it with JSON.parse)'
  if (code === 'PropertyNameExpected' || code === 'ValueExpected') return `not valid JSON (${code}; a trailing comma?)`
  return `not valid JSON (${code})`
}

/**
 * Parse package.json as npm does (strict JSON: no comments, no trailing commas), failing with
 * `file:line:col` at the first error. A BOM is allowed (npm strips it). Keys npm would read only
 * once (a repeated `allowScripts`, a repeated key inside it) are refused so an edit cannot land on
 * the copy npm ignores.
 */
export const parsePackageJsonText = (file: string, text: string): PackageJsonText => {
  const bom = text.startsWith('\uFEFF') ? 1 : 0
  const errors: ParseError[] = []
  const root = parseTree(text.slice(bom), errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  const first = errors[0]
  const fail = (offset: number, message: string, hint: string): never => {
    const { line, column } = lineColumn(text, offset + bom)
    throw new SafeInstallError('ECONFIG', `${file}:${line}:${column}: ${message}`, hint)
  }
  if (first !== undefined || root === undefined) {
    fail(first?.offset ?? 0, first === undefined ? 'empty file' : describeSyntaxError(first), 'fix package.json so that it is plain JSON, then run the command again')
  }
  let value: unknown
  try {
    value = JSON.parse(text.slice(bom))
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    return fail(Number(position ?? 0), `not valid JSON (${(error as Error).message})`, 'fix package.json so that it is plain JSON')
  }
  if (root?.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(0, 'package.json must hold a JSON object', 'fix package.json so that it is one object { ... }')
  }
  const shifted = shiftNode(root, bom)
  refuseRepeats(text, file, shifted)
  const format = /^\s*[{[]((?:\r?\n)+)([\s\t]*)/.exec(text.slice(bom))
  const empty = /^(?:\{\}|\[\])((?:\r?\n)+)?$/.test(text.slice(bom))
  return {
    file,
    text,
    root: shifted,
    value: value as Record<string, unknown>,
    indent: empty ? '  ' : (format?.[2] ?? ''),
    eol: /\r\n/.test(text.slice(0, text.indexOf('\n') + 1)) ? '\r\n' : '\n',
  }
}

const refuseRepeats = (text: string, file: string, root: Node): void => {
  const repeated = (object: Node, only?: string): Node | undefined => {
    const seen = new Set<string>()
    for (const property of object.children ?? []) {
      const key = property.children?.[0]
      if (typeof key?.value !== 'string' || (only !== undefined && key.value !== only)) continue
      if (seen.has(key.value)) return key
      seen.add(key.value)
    }
    return undefined
  }
  const fail = (key: Node, where: string): never => {
    const { line, column } = lineColumn(text, key.offset)
    throw new SafeInstallError('ECONFIG', `${file}:${line}:${column}: ${where} appears twice; npm reads only the last one`, 'remove one of them')
  }
  const twice = repeated(root, 'allowScripts')
  if (twice !== undefined) fail(twice, '"allowScripts"')
  const allow = findNodeAtLocation(root, ['allowScripts'])
  const inner = allow?.type === 'object' ? repeated(allow) : undefined
  if (inner !== undefined) fail(inner, `allowScripts[${JSON.stringify(inner.value)}]`)
}

/** jsonc-parser's offsets are into the text it was given; ours include the BOM. */
const shiftNode = (node: Node, by: number, parent?: Node): Node => {
  if (by === 0) return node
  const copy = { ...node, offset: node.offset + by, ...(parent === undefined ? {} : { parent }) } as { -readonly [K in keyof Node]: Node[K] }
  if (node.children !== undefined) copy.children = node.children.map((child) => shiftNode(child, by, copy))
  return copy
}

/** `file:line:col` of the value at `path`, or of the nearest parent that exists. */
export const locateInPackageJson = (doc: PackageJsonText, path: readonly PathSegment[]): string => {
  const raw = rawPath(path)
  for (let length = raw.length; length >= 0; length -= 1) {
    const node = findNodeAtLocation(doc.root, raw.slice(0, length))
    if (node !== undefined) {
      const { line, column } = lineColumn(doc.text, node.offset)
      return `${doc.file}:${line}:${column}`
    }
  }
  return doc.file
}

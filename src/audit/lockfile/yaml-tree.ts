import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type ParsedNode } from 'yaml'
import { describeType, failAt, indexLines, quote, type Position, type ReadContext } from './lockfile-error.js'

/**
 * The YAML of a lockfile as plain located data: maps keep their pairs in order, keys are strings
 * (as js-yaml, which pnpm and yarn use, turns them into object keys), scalars are what the schema
 * resolves them to.
 */
export type YamlNode = YamlMap | YamlSeq | YamlScalar

export interface YamlMap extends Position {
  readonly kind: 'map'
  readonly pairs: YamlPair[]
}

export interface YamlPair extends Position {
  readonly key: string
  readonly value: YamlNode
}

export interface YamlSeq extends Position {
  readonly kind: 'seq'
  readonly items: YamlNode[]
}

export interface YamlScalar extends Position {
  readonly kind: 'scalar'
  readonly value: string | number | boolean | null
}

/** Nesting deeper than this is not a lockfile; refusing it keeps the conversion's recursion bounded. */
export const MAX_YAML_DEPTH = 64

/** A run of flow openings deeper than MAX_YAML_DEPTH: refused before `yaml`'s recursive composer spends seconds overflowing its stack. */
const DEEP_FLOW = new RegExp(`[[{](?:\\s*[[{]){${MAX_YAML_DEPTH}}`)

export interface YamlOptions {
  /** `core` (YAML 1.2, what pnpm's js-yaml resolves), or `failsafe` (every scalar a string, how yarn reads its lockfile). */
  readonly schema: 'core' | 'failsafe'
  /** What the package manager does with a repeated key, for the message. */
  readonly consequence: string
}

/**
 * Every non-empty document of a YAML stream, read with the `yaml` package. Its own duplicate-key
 * check is off (`uniqueKeys: false`: it compares every pair with every other, quadratic in the size
 * of a map); repeated keys are found here instead, with a Set per map. Aliases, non-scalar keys
 * and deep nesting are refused: a lockfile has none of them.
 */
export const parseYamlDocuments = (context: ReadContext, text: string, options: YamlOptions): YamlNode[] => {
  const deep = DEEP_FLOW.exec(text)
  if (deep !== null) throw failAt(context, indexLines(text).position(deep.index), `nested more than ${MAX_YAML_DEPTH} levels deep, which no package manager writes`)
  const lineCounter = new LineCounter()
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false, schema: options.schema })
  const nodes: YamlNode[] = []
  for (const document of documents) {
    const error = document.errors[0]
    if (error !== undefined) throw failAt(context, at(error.pos[0]), `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`)
    if (document.contents !== null) nodes.push(convert(context, document.contents, { at, consequence: options.consequence }, 0))
  }
  return nodes.filter((node) => !(node.kind === 'scalar' && node.value === null))
}

interface Convert {
  readonly at: (offset: number) => Position
  readonly consequence: string
}

const convert = (context: ReadContext, node: ParsedNode, how: Convert, depth: number): YamlNode => {
  const where = how.at(node.range[0])
  if (depth > MAX_YAML_DEPTH) throw failAt(context, where, `nested more than ${MAX_YAML_DEPTH} levels deep, which no package manager writes`)
  if (isAlias(node)) throw failAt(context, where, 'YAML aliases (`*name`) do not belong in a lockfile')
  if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node.value), ...where }
  if (isSeq(node)) return { kind: 'seq', items: node.items.map((item) => convert(context, item, how, depth + 1)), ...where }
  if (!isMap(node)) throw failAt(context, where, 'unexpected YAML node')
  const seen = new Map<string, YamlPair>()
  const pairs = node.items.map((pair): YamlPair => {
    if (!isScalar(pair.key)) throw failAt(context, where, 'only plain keys are expected in a lockfile')
    const key = String(pair.key.value)
    const position = how.at(pair.key.range[0])
    const first = seen.get(key)
    if (first !== undefined) throw failAt(context, position, `duplicate key ${quote(key)} (first at line ${first.line}); ${how.consequence}`)
    const value = pair.value === null ? { kind: 'scalar' as const, value: null, ...position } : convert(context, pair.value, how, depth + 1)
    const located: YamlPair = { key, value, ...position }
    seen.set(key, located)
    return located
  })
  return { kind: 'map', pairs, ...where }
}

/** Scalars are strings, numbers, booleans or null; anything else (an unknown tag's value) is kept as its description. */
const scalarValue = (value: unknown): YamlScalar['value'] =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? value : describeType(value)

/** The value of the pair named `name` (there is only one: repeats are refused). */
export const yamlField = (map: YamlMap, name: string): YamlNode | undefined => map.pairs.find((pair) => pair.key === name)?.value

const describe = (node: YamlNode): string =>
  node.kind === 'scalar' ? (node.value === null ? 'empty' : `${typeof node.value} ${quote(String(node.value))}`) : node.kind === 'map' ? 'a map' : 'a list'

/** Typed reads that fail at the node with `what` in the message. */
export const yamlString = (context: ReadContext, node: YamlNode | undefined, what: () => string): string | undefined => {
  if (node === undefined) return undefined
  if (node.kind === 'scalar' && typeof node.value === 'string') return node.value
  throw failAt(context, node, `${what()} must be a string, not ${describe(node)}`)
}

export const yamlBoolean = (context: ReadContext, node: YamlNode | undefined, what: () => string): boolean | undefined => {
  if (node === undefined) return undefined
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value
  throw failAt(context, node, `${what()} must be true or false, not ${describe(node)}`)
}

/** A map, or undefined for an absent or empty (`key:` with nothing) value. */
export const yamlMap = (context: ReadContext, node: YamlNode | undefined, what: () => string): YamlMap | undefined => {
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return undefined
  if (node.kind === 'map') return node
  throw failAt(context, node, `${what()} must be a map, not ${describe(node)}`)
}

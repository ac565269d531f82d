import { describeType, failAt, quote, type Position, type ReadContext } from './lockfile-error.js'

/**
 * The YAML of a lockfile as plain located data: maps keep every pair in order (repeats included,
 * so they can be reported), keys are strings (as js-yaml, which pnpm uses, turns them into object
 * keys), scalars are resolved with the YAML 1.2 core schema.
 */
export type YamlNode = YamlMap | YamlSeq | YamlScalar

export interface YamlMap extends Position {
  readonly kind: 'map'
  readonly pairs: YamlPair[]
}

export interface YamlPair extends Position {
  readonly key: string
  value: YamlNode
}

export interface YamlSeq extends Position {
  readonly kind: 'seq'
  readonly items: YamlNode[]
}

export interface YamlScalar extends Position {
  readonly kind: 'scalar'
  readonly value: string | number | boolean | null
}

/** Nesting deeper than this is not a lockfile; refusing it keeps the readers' recursion bounded. */
export const MAX_YAML_DEPTH = 64

/** A run of flow openings deeper than MAX_YAML_DEPTH, checked before the recursive `yaml` parser sees the text. */
const DEEP_FLOW = new RegExp(`[[{](?:\\s*[[{]){${MAX_YAML_DEPTH}}`)

/**
 * Every document of a YAML stream, read with the `yaml` package (loaded only here): the complete
 * reader, used when the fast one (yaml-fast.ts) meets something outside pnpm's layout. Never uses
 * `uniqueKeys` (its check is quadratic in the size of a map); repeats are found by rejectDuplicateYamlKeys.
 */
export const parseYamlFully = async (context: ReadContext, text: string): Promise<YamlNode[]> => {
  const deep = DEEP_FLOW.exec(text)
  if (deep !== null) throw failAt(context, deep.index, `nested more than ${MAX_YAML_DEPTH} levels deep, which no package manager writes`)
  const { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq } = await import('yaml')
  const lineCounter = new LineCounter()
  let parsed: ReturnType<typeof parseAllDocuments>
  try {
    parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false })
  } catch (error) {
    throw failAt(context, 0, `not valid YAML: ${error instanceof Error ? error.message : String(error)}`)
  }
  const documents = Array.isArray(parsed) ? parsed : []
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0)
    return { line, column: col }
  }
  const convert = (node: unknown, fallback: Position, depth: number): YamlNode => {
    if (depth > MAX_YAML_DEPTH) throw failAt(context, fallback, 'YAML nested too deeply')
    if (node === null || node === undefined) return { kind: 'scalar', value: null, ...fallback }
    if (isAlias(node)) throw failAt(context, at(node.range?.[0]), 'YAML aliases (`*name`) do not belong in a lockfile')
    if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node.value), ...at(node.range?.[0]) }
    if (isSeq(node)) {
      const where = at(node.range?.[0])
      return { kind: 'seq', items: node.items.map((item) => convert(item, where, depth + 1)), ...where }
    }
    if (isMap(node)) {
      const pairs = node.items.map((pair): YamlPair => {
        if (!isScalar(pair.key)) throw failAt(context, at(node.range?.[0]), 'only plain keys are expected in a lockfile')
        const where = at(pair.key.range?.[0])
        return { key: String(pair.key.value), value: convert(pair.value, where, depth + 1), ...where }
      })
      return { kind: 'map', pairs, ...at(node.range?.[0]) }
    }
    throw failAt(context, fallback, 'unexpected YAML node')
  }
  return documents.map((document) => {
    const error = document.errors[0]
    if (error !== undefined) throw failAt(context, at(error.pos[0]), `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`)
    return convert(document.contents, { line: 1, column: 1 }, 0)
  })
}

/** Core-schema scalars are strings, numbers, booleans or null; anything else (an unknown tag's value) is kept as its description. */
const scalarValue = (value: unknown): YamlScalar['value'] =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? value : describeType(value)

/** Fails on the second occurrence of a key in any map; `consequence` says what the package manager would do with it. */
export const rejectDuplicateYamlKeys = (context: ReadContext, documents: readonly YamlNode[], consequence: string): void => {
  const stack: YamlNode[] = [...documents]
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === 'seq') stack.push(...node.items)
    if (node.kind !== 'map') continue
    const { pairs } = node
    const seen = pairs.length > 8 ? new Map<string, YamlPair>() : undefined
    for (let i = 0; i < pairs.length; i += 1) {
      const pair = pairs[i] as YamlPair
      const first = seen === undefined ? earlier(pairs, i, pair.key) : seen.get(pair.key)
      if (first !== undefined) throw failAt(context, pair, `duplicate key ${quote(pair.key)} (first at line ${first.line}); ${consequence}`)
      seen?.set(pair.key, pair)
      if (pair.value.kind !== 'scalar') stack.push(pair.value)
    }
  }
}

const earlier = (pairs: readonly YamlPair[], before: number, key: string): YamlPair | undefined => {
  for (let i = 0; i < before; i += 1) if (pairs[i]?.key === key) return pairs[i]
  return undefined
}

/** The value of the last pair named `name` (there is only one once repeats are rejected). */
export const yamlField = (map: YamlMap, name: string): YamlNode | undefined => {
  for (let i = map.pairs.length - 1; i >= 0; i -= 1) if (map.pairs[i]?.key === name) return map.pairs[i]?.value
  return undefined
}

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

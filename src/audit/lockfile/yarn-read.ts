import { failAt, type ReadContext } from './lockfile-error.js'
import { isRecord } from './record.js'
import { parseSimpleYaml } from './yaml-fast.js'
import { rejectDuplicateYamlKeys, type YamlNode } from './yaml-tree.js'
import { parseClassicYarnLock } from './yarn-classic-fast.js'
import { rejectRepeatedDescriptors, scanYarnLock, type YarnBlock } from './yarn-scan.js'

const LEGACY_HEADER = /^(?:#.*\r?\n)*?#\s+yarn\s+lockfile\s+v1\r?\n/i

/** Whether the text starts with yarn 1's `# yarn lockfile v1` comment header. */
const hasClassicHeader = (text: string): boolean => LEGACY_HEADER.test(text)

/**
 * A yarn.lock read as yarn berry reads one (`parseSyml`: its own grammar for yarn 1 files, js-yaml
 * with the FAILSAFE schema for berry files), and where its entries are. A file in the layout yarn
 * writes is read by a fast reader that gives the same object (yarn-classic-fast.ts, or yaml-fast.ts
 * for berry); @yarnpkg/parsers is loaded only for anything else, and its errors become located
 * LockfileErrors. Repeated descriptors and fields are errors (yarn would silently keep the last).
 */
export const readYarnLock = async (context: ReadContext, text: string, classic: boolean): Promise<{ parsed: Record<string, unknown>; blocks: YarnBlock[] }> => {
  const fast = classic ? parseClassicYarnLock(text) : readBerryFast(context, text)
  const read = fast ?? { parsed: await parseYarnText(context, text, classic), blocks: scanYarnLock(context, text, classic) }
  rejectRepeatedDescriptors(context, read.blocks)
  return read
}

/** Berry's YAML through the fast YAML reader, keeping scalars as text like FAILSAFE; undefined when it declines. */
const readBerryFast = (context: ReadContext, text: string): { parsed: Record<string, unknown>; blocks: YarnBlock[] } | undefined => {
  const documents = parseSimpleYaml(text, { failsafe: true })
  const top = documents?.length === 1 ? documents[0] : undefined
  if (top?.kind !== 'map') return undefined
  const parsed = toPlain(top)
  if (!isRecord(parsed)) return undefined
  rejectDuplicateYamlKeys(context, [top], 'yarn would silently use only the last one')
  const blocks = top.pairs.map((pair): YarnBlock => ({
    key: pair.key,
    descriptors: pair.key.split(/\s*,\s*/),
    line: pair.line,
    fields: { get: (name) => (pair.value.kind === 'map' ? pair.value.pairs.findLast((field) => field.key === name)?.line : undefined) },
  }))
  return { parsed, blocks }
}

/** Plain data like js-yaml builds; undefined (decline) for a `__proto__` key, which js-yaml defines specially. */
const toPlain = (node: YamlNode): unknown => {
  if (node.kind === 'scalar') return node.value
  if (node.kind === 'seq') return node.items.map(toPlain)
  const object: Record<string, unknown> = {}
  for (const pair of node.pairs) {
    if (pair.key === '__proto__') return undefined
    const value = toPlain(pair.value)
    if (value === undefined) return undefined
    object[pair.key] = value
  }
  return object
}
const parseYarnText = async (context: ReadContext, text: string, classic: boolean): Promise<Record<string, unknown>> => {
  const { parseSyml } = await import('@yarnpkg/parsers')
  const prepend = classic && !hasClassicHeader(text)
  let parsed: unknown
  try {
    parsed = parseSyml(prepend ? `# yarn lockfile v1\n${text}` : text)
  } catch (error) {
    throw failAt(context, positionOf(error, prepend ? 1 : 0), `not a valid yarn.lock: ${reasonOf(error)}`)
  }
  if (!isRecord(parsed)) throw failAt(context, 0, 'a yarn.lock must be a map of entries')
  return parsed
}

interface PegError { location?: { start?: { line?: number; column?: number } } }
interface YamlError { mark?: { line?: number; column?: number }; reason?: string }

const positionOf = (error: unknown, shift: number): { line: number; column: number } => {
  const peg = (error as PegError).location?.start
  if (typeof peg?.line === 'number') return { line: Math.max(1, peg.line - shift), column: peg.column ?? 1 }
  const mark = (error as YamlError).mark
  if (typeof mark?.line === 'number') return { line: mark.line + 1, column: (mark.column ?? 0) + 1 }
  return { line: 1, column: 1 }
}

const reasonOf = (error: unknown): string => {
  const reason = (error as YamlError).reason
  if (typeof reason === 'string') return reason
  const message = error instanceof Error ? error.message : String(error)
  return (message.split('\n')[0] ?? message).replace(/ \(\d+:\d+\)$/, '').slice(0, 200)
}

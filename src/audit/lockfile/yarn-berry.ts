import { failAt, indexLines, quote, type ReadContext } from './lockfile-error.js'
import type { LockEntry, Lockfile, LockSource, LockWorkspace } from './model.js'
import { assignDefined, isRecord, own } from './record.js'
import { aliasTarget, classifySpec, splitNameAndSpec } from './spec.js'
import { parseYamlDocuments, type YamlMap } from './yaml-tree.js'
import { rejectRepeatedDescriptors, yarnFields, type YarnBlock } from './yarn-entry.js'
import { parseYarnLock } from './yarn-syml.js'

/**
 * yarn.lock written by yarn 2+ (`__metadata`). `resolution` is the locator (`name@npm:1.2.3`),
 * kept as `resolved`; `checksum` is kept as written (a hash of yarn's zip archive, not of the
 * tarball). Workspaces (`name@workspace:path`) go to `workspaces`. Berry records no install-script
 * facts and no dev flags in the lockfile (they live in .yarn/install-state.gz).
 */
export const readYarnBerry = (file: string, text: string): Lockfile => {
  const context: ReadContext = { file, format: 'yarn-berry', lines: indexLines(text) }
  const parsed = parseYarnLock(context, text, false)
  const blocks = locateEntries(context, text)
  if (blocks.length !== Object.keys(parsed).length) {
    throw failAt(context, { line: 1, column: 1 }, 'yarn\'s parser and a YAML parser read different entries in this file, so it is not laid out the way yarn writes it')
  }
  const metadata = own(parsed, '__metadata')
  const version = isRecord(metadata) ? own(metadata, 'version') : undefined
  if (typeof version !== 'string' || !/^\d+$/.test(version)) {
    const block = blocks.find((candidate) => candidate.key === '__metadata')
    throw failAt(context, { line: block?.fields.get('version') ?? block?.line ?? 1, column: 1 }, '`__metadata.version` must be a whole number')
  }
  const entries: LockEntry[] = []
  const workspaces: LockWorkspace[] = []
  for (const block of blocks) {
    if (block.key === '__metadata') continue
    const value = own(parsed, block.key)
    const fields = yarnFields(context, block, value)
    const first = block.descriptors[0] ?? ''
    const { name, spec } = splitNameAndSpec(first)
    const resolution = fields.string('resolution')
    if (resolution === undefined) throw failAt(context, { line: block.line, column: 1 }, `the entry ${quote(block.key)} has no resolution`)
    const locator = readLocator(resolution)
    if (locator.source === 'workspace') {
      workspaces.push(assignDefined<LockWorkspace>({ path: locator.path ?? '.', line: block.line, column: 1 }, {
        name: locator.name, version: fields.string('version'),
      }))
      continue
    }
    const alias = spec === undefined ? undefined : aliasTarget(spec)
    entries.push(assignDefined<LockEntry>({ name, version: fields.string('version'), key: block.key, line: block.line, column: 1, source: locator.source }, {
      realName: alias === undefined || alias.name === name ? undefined : alias.name,
      resolved: resolution,
      checksum: fields.string('checksum'),
      conditions: fields.string('conditions'),
      resolvedName: locator.name,
      resolvedVersion: locator.version,
    }))
  }
  return { format: 'yarn-berry', formatVersion: version, file, entries, workspaces }
}

/**
 * The entries' lines, from the `yaml` package (FAILSAFE, like yarn's js-yaml): the values come
 * from yarn's own parser, which lets a repeated key through silently; a repeated key is an error here.
 */
const locateEntries = (context: ReadContext, text: string): YarnBlock[] => {
  const documents = parseYamlDocuments(context, text, { schema: 'failsafe', consequence: 'yarn would silently use only the last one' })
  const top = documents[0]
  if (documents.length > 1 || (top !== undefined && top.kind !== 'map')) throw failAt(context, top ?? 0, 'a yarn.lock must be one map of entries')
  const blocks = (top?.pairs ?? []).map((pair): YarnBlock => {
    const fields: YamlMap | undefined = pair.value.kind === 'map' ? pair.value : undefined
    return { key: pair.key, descriptors: pair.key.split(/\s*,\s*/), line: pair.line, fields: { get: (name) => fields?.pairs.find((field) => field.key === name)?.line } }
  })
  rejectRepeatedDescriptors(context, blocks)
  return blocks
}

interface Locator {
  readonly name: string
  readonly source: LockSource
  readonly version?: string
  readonly path?: string
}

/**
 * `name@npm:1.2.3`, `name@workspace:packages/a`, `name@patch:<encoded locator>#<patch>` (the name,
 * version and source of the package patched: that is what is fetched), `name@https://…`,
 * `name@file:…`, `name@link:…`, `name@portal:…`, `name@exec:…`.
 */
const readLocator = (locator: string, depth = 0): Locator => {
  const { name, spec = '' } = splitNameAndSpec(locator)
  const reference = spec.replace(/::.*$/, '')
  if (/^npm:/.test(reference)) {
    const target = aliasTarget(reference)
    if (target !== undefined) return assignDefined<Locator>({ name: target.name, source: 'registry' }, { version: target.spec })
    return { name, source: 'registry', version: reference.slice(4) }
  }
  if (/^workspace:/.test(reference)) return { name, source: 'workspace', path: reference.slice('workspace:'.length) }
  if (/^patch:/.test(reference) && depth < 4) {
    const hash = reference.indexOf('#')
    try {
      return readLocator(decodeURIComponent(reference.slice('patch:'.length, hash === -1 ? undefined : hash)), depth + 1)
    } catch {
      return { name, source: 'unknown' }
    }
  }
  if (/^exec:/.test(reference)) return { name, source: 'unknown' }
  return { name, source: classifySpec(reference) }
}

import { createFieldReader, groupKeys, type JsonDocument } from './json-document.js'
import type { JsonKey } from './json-locate.js'
import { failAt, quote, type ReadContext } from './lockfile-error.js'
import type { LockEntry, LockSource } from './model.js'
import { isRecord, own, type Draft } from './record.js'
import { aliasTarget, classifySpec, describeSpec, isExactVersion } from './spec.js'

interface Level {
  readonly keys: readonly JsonKey[]
  readonly groups: Map<string, JsonKey[]>
  readonly object: Record<string, unknown>
  readonly prefix: string
  next: number
}

const TARBALL_FILE = /\.(?:tgz|tar\.gz|tar)$/i

/**
 * lockfileVersion 1's nested `dependencies` tree, walked depth-first in file order without
 * recursion (a hostile file may nest deeply). `version` there is a spec for non-registry
 * packages (git URL, tarball URL, `file:`), so it becomes `resolved` and the version is unknown.
 */
export const readLegacyDependencies = (
  context: ReadContext,
  doc: JsonDocument,
  dependenciesKey: JsonKey,
  dependencies: Record<string, unknown>,
): LockEntry[] => {
  const entries: LockEntry[] = []
  const locations = new Map<JsonKey, string>()
  const where = (key: JsonKey | undefined): string => `"dependencies" entry ${quote(key === undefined ? '' : locations.get(key) ?? key.name)}`
  const read = createFieldReader(context, doc, where)
  const level = (members: JsonKey[] | undefined, object: Record<string, unknown>, prefix: string): Level =>
    ({ keys: members ?? [], groups: groupKeys(members), object, prefix, next: 0 })
  const levels: Level[] = [level(dependenciesKey.members, dependencies, '')]
  for (let top = levels[0]; top !== undefined; top = levels[levels.length - 1]) {
    const key = top.keys[top.next]
    top.next += 1
    if (key === undefined) {
      levels.pop()
      continue
    }
    const location = `${top.prefix}node_modules/${key.name}`
    locations.set(key, location)
    const duplicate = (top.groups.get(key.name)?.length ?? 0) > 1
    const value = duplicate ? doc.valueOf(key) : own(top.object, key.name)
    if (!isRecord(value)) throw failAt(context, key.offset, `${where(key)} must be an object`)
    const entry = identify(key, location, read.string(value, key, 'version'), read.string(value, key, 'resolved'))
    const integrity = read.string(value, key, 'integrity')
    if (integrity !== undefined) entry.integrity = integrity
    entry.dev = read.boolean(value, key, 'dev') === true
    entry.optional = read.boolean(value, key, 'optional') === true
    entry.inBundle = read.boolean(value, key, 'bundled') === true
    if (duplicate) entry.duplicate = true
    entries.push(entry)
    const nested = read.record(value, key, 'dependencies')
    if (nested !== undefined) {
      const nestedKey = key.members?.findLast((field) => field.name === 'dependencies')
      levels.push(level(nestedKey?.members, nested, `${location}/`))
    }
  }
  return entries
}

/** Name, version and source from v1's `version`, which holds `npm:real@1.2.3` for aliases and a spec for non-registry packages. */
const identify = (key: JsonKey, location: string, version: string | undefined, resolved: string | undefined): Draft<LockEntry> => {
  const entry: Draft<LockEntry> = { name: key.name, version: undefined, key: key.name, line: key.line, column: key.column, location, source: 'unknown' }
  const alias = version === undefined ? undefined : aliasTarget(version)
  const described = resolved === undefined ? undefined : describeSpec(resolved)
  if (alias !== undefined || (version !== undefined && isExactVersion(version))) {
    entry.version = alias === undefined ? version : alias.spec
    if (alias !== undefined && alias.name !== key.name) entry.realName = alias.name
    entry.source = described?.source ?? 'registry'
  } else {
    const spec = version ?? resolved
    if (spec !== undefined) entry.source = specSource(spec)
  }
  const where = resolved ?? (entry.version === undefined ? version : undefined)
  if (where !== undefined) entry.resolved = where
  const tarball = described?.tarball
  if (tarball !== undefined) {
    entry.resolvedName = tarball.name
    if (tarball.version !== undefined) entry.resolvedVersion = tarball.version
  }
  return entry
}

/** npm 5/6 linked `file:` directories and extracted `file:` tarballs. */
const specSource = (spec: string): LockSource => {
  const source = classifySpec(spec)
  return source === 'file' && !TARBALL_FILE.test(spec) ? 'link' : source
}

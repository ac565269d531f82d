import { createFieldReader, groupKeys, readJsonDocument, type JsonDocument } from './json-document.js'
import type { JsonKey, JsonRecord } from './json-locate.js'
import { describeType, failAt, indexLines, quote, type ReadContext } from './lockfile-error.js'
import type { LockEntry, Lockfile, LockWorkspace } from './model.js'
import { isRecord, own, type Draft } from './record.js'
import { classifySpec, isExactVersion, lastPackageName, normalizeRelative, registryTarball, splitNameAndSpec } from './spec.js'

/** The sections' keys: every occurrence of a `packages` key (each is read), the `workspaces` keys. */
const recordBun: JsonRecord = (path) => (path.length > 1 ? 'skip' : path[0] === 'packages' ? 'entries' : path[0] === 'workspaces' ? 'keys' : 'skip')

/**
 * bun.lock (the text lockfile, JSONC), lockfileVersion 0 to 2 (the same layout). Each `packages`
 * value is a tuple whose first element is `name@resolution`:
 * - registry: `[ident, registry URL or "", info, integrity]` (`resolved` is the URL when not empty);
 * - git/github: `[ident, info, bun tag]`; tarball URL, `file:` and `link:`: `[ident, info]`;
 * - `workspace:path`: `[ident]`.
 * The key is the install path (`a/b` is b nested under a). bun.lock records no install-script
 * facts and no dev/optional flags per package.
 */
export const readBunLockfile = (file: string, text: string): Lockfile => {
  const context: ReadContext = { file, format: 'bun', lines: indexLines(text) }
  const doc = readJsonDocument(context, text, { jsonc: true, record: recordBun })
  if (!isRecord(doc.value) || doc.root === undefined) throw failAt(context, 0, 'a bun.lock must be a JSON object')
  const rootKey = (name: string): JsonKey | undefined => doc.root?.findLast((key) => key.name === name)
  const version = own(doc.value, 'lockfileVersion')
  if (version !== 0 && version !== 1 && version !== 2) {
    throw failAt(context, rootKey('lockfileVersion')?.offset ?? 0, `lockfileVersion ${describeType(version)} is not one safe-install knows (0, 1 or 2)`,
      'regenerate it with a bun that writes lockfileVersion 1 (`bun install`), or upgrade safe-install')
  }
  const workspaces = readWorkspaces(context, doc, rootKey('workspaces'))
  const versions = new Map(workspaces.map((workspace) => [normalizeRelative(workspace.path), workspace.version]))
  const entries = readPackages(context, doc, rootKey('packages'), versions)
  return { format: 'bun', formatVersion: String(version), file, entries, workspaces }
}

const readWorkspaces = (context: ReadContext, doc: JsonDocument, section: JsonKey | undefined): LockWorkspace[] => {
  const read = createFieldReader(context, doc, (key) => `workspace ${quote(key?.name ?? '')}`)
  const object = section === undefined || !isRecord(doc.value) ? undefined : read.record(doc.value, undefined, 'workspaces')
  if (object === undefined || section === undefined) return []
  return (section.members ?? []).map((key) => {
    const value = own(object, key.name)
    if (!isRecord(value)) throw failAt(context, key.offset, `workspace ${quote(key.name)} must be an object`)
    const workspace: Draft<LockWorkspace> = { path: key.name === '' ? '.' : key.name, line: key.line, column: key.column }
    const name = read.string(value, key, 'name')
    const version = read.string(value, key, 'version')
    if (name !== undefined) workspace.name = name
    if (version !== undefined) workspace.version = version
    return workspace
  })
}

const readPackages = (context: ReadContext, doc: JsonDocument, section: JsonKey | undefined, versions: ReadonlyMap<string, string | undefined>): LockEntry[] => {
  const packages = section === undefined || !isRecord(doc.value) ? undefined : own(doc.value, 'packages')
  if (packages === undefined || section === undefined) return []
  if (!isRecord(packages)) throw failAt(context, section.offset, '"packages" must be an object')
  const groups = groupKeys(section.members)
  return (section.members ?? []).map((key): LockEntry => {
    const duplicate = (groups.get(key.name)?.length ?? 0) > 1
    const tuple = duplicate ? doc.valueOf(key) : own(packages, key.name)
    const ident: unknown = Array.isArray(tuple) ? tuple[0] : undefined
    if (!Array.isArray(tuple) || typeof ident !== 'string') {
      throw failAt(context, key.offset, `package ${quote(key.name)} must be a list starting with "name@resolution"`)
    }
    const name = lastPackageName(key.name)
    const { name: realName, spec = '' } = splitNameAndSpec(ident)
    const entry: Draft<LockEntry> = { name, version: undefined, key: key.name, line: key.line, column: key.column, location: key.name, source: 'unknown' }
    if (realName !== name) entry.realName = realName
    if (duplicate) entry.duplicate = true
    if (isExactVersion(spec)) {
      const registry: unknown = tuple[1]
      const integrity: unknown = tuple[3]
      if ((registry !== undefined && typeof registry !== 'string') || (integrity !== undefined && typeof integrity !== 'string')) {
        throw failAt(context, key.offset, `package ${quote(key.name)}: a registry package is ["name@version", "registry URL", {…}, "integrity"]`)
      }
      entry.version = spec
      entry.source = 'registry'
      if (registry !== undefined && registry !== '') entry.resolved = registry
      if (integrity !== undefined) entry.integrity = integrity
      const tarball = registry === undefined ? undefined : registryTarball(registry)
      if (tarball !== undefined) {
        entry.resolvedName = tarball.name
        if (tarball.version !== undefined) entry.resolvedVersion = tarball.version
      }
      return entry
    }
    entry.resolved = spec
    entry.source = /^root:/.test(spec) ? 'workspace' : classifySpec(spec)
    if (entry.source === 'workspace') {
      const version = versions.get(normalizeRelative(spec.slice(spec.indexOf(':') + 1)))
      if (version !== undefined) entry.version = version
    }
    return entry
  })
}

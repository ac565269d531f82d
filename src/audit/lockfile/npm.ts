import { createFieldReader, groupKeys, readJsonDocument, type JsonDocument, type JsonFieldReader } from './json-document.js'
import type { JsonKey, JsonRecord } from './json-locate.js'
import { describeType, failAt, indexLines, quote, type ReadContext } from './lockfile-error.js'
import type { LockEntry, Lockfile, LockWorkspace } from './model.js'
import { readLegacyDependencies } from './npm-legacy.js'
import { isRecord, own, type Draft } from './record.js'
import { describeSpec, isExactVersion, lastPackageName, normalizeRelative } from './spec.js'
import { matchWorkspaceGlobs } from './workspace-glob.js'

const NODE_MODULES = 'node_modules/'

/**
 * The keys recorded: `packages` (each occurrence of a key, repeats included; an entry's fields are
 * located only to report an error); for v1, the nested `dependencies` maps (at odd path lengths)
 * and their entries' fields (to find the next `dependencies`). Only children of recorded objects
 * are asked, so checking the last key is checking the path.
 */
const recordNpm: JsonRecord = (path) => {
  if (path[0] === 'packages') return path.length === 1 ? 'entries' : 'skip'
  if (path[0] !== 'dependencies') return 'skip'
  if (path.length % 2 === 0) return 'keys'
  return path[path.length - 1] === 'dependencies' ? 'entries' : 'skip'
}

/**
 * package-lock.json / npm-shrinkwrap.json, v1 to v3. Like npm 7+, reads `packages` when present
 * and the v1 `dependencies` tree otherwise. A key repeated in `packages` (or a v1 `dependencies`
 * map) gives one entry per occurrence, marked `duplicate`; a key repeated anywhere else is an error.
 */
export const readNpmLockfile = (file: string, text: string): Lockfile => {
  const context: ReadContext = { file, format: 'npm', lines: indexLines(text) }
  const doc = readJsonDocument(context, text, { jsonc: false, record: recordNpm })
  if (!isRecord(doc.value) || doc.root === undefined) throw failAt(context, 0, 'a package-lock must be a JSON object')
  const top = doc.value
  const rootKey = (name: string): JsonKey | undefined => doc.root?.findLast((key) => key.name === name)
  const read = createFieldReader(context, doc, () => 'the lockfile')
  const version = own(top, 'lockfileVersion')
  if (version !== undefined && version !== 1 && version !== 2 && version !== 3) {
    throw failAt(context, rootKey('lockfileVersion')?.offset ?? 0, `lockfileVersion ${describeType(version)} is not one safe-install knows (1, 2 or 3)`,
      'regenerate it with a current npm (`npm install --package-lock-only`), or upgrade safe-install')
  }
  const formatVersion = version === undefined ? '0' : String(version)
  const packagesKey = rootKey('packages')
  const packages = read.record(top, undefined, 'packages')
  if (packages !== undefined && packagesKey !== undefined) {
    return { format: 'npm', formatVersion, file, ...readPackages(context, doc, packagesKey, packages) }
  }
  const nameKey = rootKey('name')
  const root: Draft<LockWorkspace> = { path: '.', line: nameKey?.line ?? 1, column: nameKey?.column ?? 1 }
  const name = read.string(top, undefined, 'name')
  const rootVersion = read.string(top, undefined, 'version')
  if (name !== undefined) root.name = name
  if (rootVersion !== undefined) root.version = rootVersion
  const dependencies = read.record(top, undefined, 'dependencies')
  const dependenciesKey = rootKey('dependencies')
  const entries = dependencies === undefined || dependenciesKey === undefined ? [] : readLegacyDependencies(context, doc, dependenciesKey, dependencies)
  return { format: 'npm', formatVersion, file, entries, workspaces: [root] }
}

interface RawEntry {
  readonly key: JsonKey
  readonly value: Record<string, unknown>
  readonly duplicate: boolean
}

interface Folder {
  readonly name: string | undefined
  readonly version: string | undefined
  readonly workspace: boolean
}

const entryName = (key: JsonKey | undefined): string => `"packages" entry ${quote(key?.name ?? '')}`

const readPackages = (
  context: ReadContext,
  doc: JsonDocument,
  packagesKey: JsonKey,
  packages: Record<string, unknown>,
): { entries: LockEntry[]; workspaces: LockWorkspace[] } => {
  const read = createFieldReader(context, doc, entryName)
  const groups = groupKeys(packagesKey.members)
  const raw = (packagesKey.members ?? []).map((key): RawEntry => {
    const duplicate = (groups.get(key.name)?.length ?? 0) > 1
    const value = duplicate ? doc.valueOf(key) : own(packages, key.name)
    if (!isRecord(value)) throw failAt(context, key.offset, `${entryName(key)} must be an object`)
    return { key, value, duplicate }
  })
  const rootEntry = raw.find((entry) => entry.key.name === '')
  const isWorkspace = matchWorkspaceGlobs(rootEntry === undefined ? [] : workspaceGlobs(rootEntry.value))
  const folders = new Map<string, Folder>()
  for (const { key, value } of raw) {
    if (key.name === '' || isInstallPath(key.name)) continue
    folders.set(normalizeRelative(key.name), {
      name: read.string(value, key, 'name'), version: read.string(value, key, 'version'), workspace: isWorkspace(key.name),
    })
  }
  const entries: LockEntry[] = []
  const workspaces: LockWorkspace[] = []
  for (const { key, value, duplicate } of raw) {
    const installed = isInstallPath(key.name)
    const folder = key.name === '' || installed ? undefined : folders.get(normalizeRelative(key.name))
    if (key.name === '' || folder?.workspace === true) {
      workspaces.push(readWorkspace(read, key, value))
      continue
    }
    const name = installed ? key.name.slice(key.name.lastIndexOf(NODE_MODULES) + NODE_MODULES.length) : lastPackageName(key.name)
    const entry = read.boolean(value, key, 'link') === true
      ? readLink(read, key, value, name, folders)
      : readPackage(read, key, value, name, folder !== undefined)
    if (read.boolean(value, key, 'dev') === true) entry.dev = true
    if (read.boolean(value, key, 'optional') === true) entry.optional = true
    if (read.boolean(value, key, 'devOptional') === true) entry.dev = entry.optional = true
    if (read.boolean(value, key, 'inBundle') === true) entry.inBundle = true
    if (duplicate) entry.duplicate = true
    entries.push(entry)
  }
  return { entries, workspaces }
}

const readWorkspace = (read: JsonFieldReader, key: JsonKey, value: Record<string, unknown>): LockWorkspace => {
  const workspace: Draft<LockWorkspace> = { path: key.name === '' ? '.' : key.name, line: key.line, column: key.column }
  const name = read.string(value, key, 'name')
  const version = read.string(value, key, 'version')
  if (name !== undefined) workspace.name = name
  if (version !== undefined) workspace.version = version
  workspace.hasInstallScript = read.boolean(value, key, 'hasInstallScript') === true
  return workspace
}

/** `link: true`: a symlink to a folder entry, whose version (and name, when it differs) it takes. */
const readLink = (read: JsonFieldReader, key: JsonKey, value: Record<string, unknown>, name: string, folders: ReadonlyMap<string, Folder>): Draft<LockEntry> => {
  const resolved = read.string(value, key, 'resolved')
  const target = resolved === undefined ? undefined : folders.get(normalizeRelative(resolved))
  const entry: Draft<LockEntry> = {
    name, version: read.string(value, key, 'version') ?? target?.version, key: key.name, line: key.line, column: key.column,
    location: key.name, source: target?.workspace === true ? 'workspace' : 'link', dev: false, optional: false, inBundle: false,
  }
  const realName = read.string(value, key, 'name') ?? target?.name
  if (realName !== undefined && realName !== name) entry.realName = realName
  if (resolved !== undefined) entry.resolved = resolved
  return entry
}

/**
 * A package folder: installed under node_modules, or (`folder`) a link's target elsewhere. Without
 * `resolved` (npm's omit-lockfile-registry-resolved) an exact version is a registry package.
 */
const readPackage = (read: JsonFieldReader, key: JsonKey, value: Record<string, unknown>, name: string, folder: boolean): Draft<LockEntry> => {
  const version = read.string(value, key, 'version')
  const resolved = read.string(value, key, 'resolved')
  const described = resolved === undefined ? undefined : describeSpec(resolved)
  const entry: Draft<LockEntry> = {
    name, version, key: key.name, line: key.line, column: key.column, location: key.name,
    source: folder ? 'link' : described?.source ?? (version !== undefined && isExactVersion(version) ? 'registry' : 'unknown'),
    hasInstallScript: read.boolean(value, key, 'hasInstallScript') === true, dev: false, optional: false, inBundle: false,
  }
  const realName = read.string(value, key, 'name')
  const integrity = read.string(value, key, 'integrity')
  if (realName !== undefined && realName !== name) entry.realName = realName
  if (resolved !== undefined) entry.resolved = resolved
  if (integrity !== undefined) entry.integrity = integrity
  const tarball = described?.tarball
  if (tarball !== undefined) {
    entry.resolvedName = tarball.name
    if (tarball.version !== undefined) entry.resolvedVersion = tarball.version
  }
  return entry
}

/** An install location (`node_modules/x`, `packages/a/node_modules/@s/y`), not a project folder. */
const isInstallPath = (key: string): boolean => key.startsWith(NODE_MODULES) || key.includes(`/${NODE_MODULES}`)

/** The root's `workspaces`: an array of globs or `{ packages: [...] }`; anything else means none. */
const workspaceGlobs = (root: Record<string, unknown>): string[] => {
  const raw = own(root, 'workspaces')
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? own(raw, 'packages') : undefined
  return Array.isArray(list) ? list.filter((glob): glob is string => typeof glob === 'string') : []
}

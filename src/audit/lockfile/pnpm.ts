import { failAt, indexLines, quote, type ReadContext } from './lockfile-error.js'
import type { LockEntry, Lockfile, LockSource, LockWorkspace } from './model.js'
import { parsePnpmKey, stripPeers } from './pnpm-key.js'
import { assignDefined } from './record.js'
import { describeSpec, normalizeRelative, type RegistryTarball } from './spec.js'
import { parseYamlDocuments, yamlBoolean, yamlField, yamlMap, yamlString, type YamlMap, type YamlNode } from './yaml-tree.js'

const DEPENDENCY_TYPES = ['dependencies', 'devDependencies', 'optionalDependencies'] as const

/**
 * pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x, every document of it (pnpm 11+ writes an
 * env document with config dependencies first; those are installed too). Entries: the `packages`
 * map (merged with v9 `snapshots` for `optional`), then each importer's `link:` dependencies (they
 * are not in `packages`). Workspaces: the importers of the last document.
 */
export const readPnpmLockfile = (file: string, text: string): Lockfile => {
  const context: ReadContext = { file, format: 'pnpm', lines: indexLines(text) }
  const documents = parseYamlDocuments(context, text, { schema: 'core', consequence: 'pnpm refuses a lockfile with repeated keys' })
  if (documents.length === 0) throw failAt(context, 0, 'the lockfile is empty')
  const entries: LockEntry[] = []
  let workspaces: LockWorkspace[] = []
  let formatVersion = ''
  for (const document of documents) {
    const top = yamlMap(context, document, () => 'the lockfile')
    if (top === undefined) throw failAt(context, document, 'a pnpm-lock.yaml must be a map')
    const versionNode = yamlField(top, 'lockfileVersion')
    const version = versionNode?.kind === 'scalar' && (typeof versionNode.value === 'string' || typeof versionNode.value === 'number') ? String(versionNode.value) : undefined
    const major = version === undefined ? NaN : parseInt(version, 10)
    if (major !== 5 && major !== 6 && major !== 9) {
      throw failAt(context, versionNode ?? top, `lockfileVersion ${quote(version ?? 'missing')} is not one safe-install knows (5.x, 6.x or 9.x)`,
        'regenerate it with a current pnpm (`pnpm install --lockfile-only`), or upgrade safe-install')
    }
    formatVersion = version ?? ''
    entries.push(...readPackages(context, top, major))
    const importers = readImporters(context, top)
    entries.push(...importers.links)
    workspaces = importers.workspaces
  }
  return { format: 'pnpm', formatVersion, file, entries, workspaces }
}

const readPackages = (context: ReadContext, top: YamlMap, major: number): LockEntry[] => {
  const packages = yamlMap(context, yamlField(top, 'packages'), () => '`packages`')
  const optionalByKey = new Map<string, boolean>()
  const snapshots = major >= 9 ? yamlMap(context, yamlField(top, 'snapshots'), () => '`snapshots`') : undefined
  for (const pair of snapshots?.pairs ?? []) {
    const body = yamlMap(context, pair.value, () => `snapshot ${quote(pair.key)}`)
    const optional = body === undefined ? false : yamlBoolean(context, yamlField(body, 'optional'), () => `\`optional\` of snapshot ${quote(pair.key)}`) === true
    const key = stripPeers(pair.key)
    optionalByKey.set(key, (optionalByKey.get(key) ?? true) && optional)
  }
  return (packages?.pairs ?? []).map((pair): LockEntry => {
    const what = (field: string) => (): string => `\`${field}\` of ${quote(pair.key)}`
    const body = yamlMap(context, pair.value, () => `package ${quote(pair.key)}`)
    const resolution = body === undefined ? undefined : yamlMap(context, yamlField(body, 'resolution'), what('resolution'))
    if (body === undefined || resolution === undefined) throw failAt(context, pair, `package ${quote(pair.key)} has no resolution`)
    const key = parsePnpmKey(pair.key, major)
    const string = (map: YamlMap, field: string): string | undefined => yamlString(context, yamlField(map, field), what(field))
    const flag = (field: string): boolean | undefined => yamlBoolean(context, yamlField(body, field), what(field))
    const located = locate(context, resolution, key.spec, what)
    return assignDefined<LockEntry>({
      name: string(body, 'name') ?? key.name, version: string(body, 'version') ?? key.version,
      key: pair.key, line: pair.line, column: pair.column, source: located.source,
    }, {
      resolved: located.resolved,
      integrity: string(resolution, 'integrity'),
      hasInstallScript: major < 9 ? flag('requiresBuild') === true || flag('prepare') === true : undefined,
      dev: major < 9 ? flag('dev') : undefined,
      optional: major < 9 ? flag('optional') === true : optionalByKey.get(pair.key),
      resolvedName: located.tarball?.name,
      resolvedVersion: located.tarball?.version,
    })
  })
}

/**
 * `{integrity}` (the registry), `{tarball, integrity?}`, `{type: git, repo, commit}`,
 * `{type: directory, directory}` (a `link:` key links it, anything else copies it in).
 */
const locate = (context: ReadContext, resolution: YamlMap, spec: string | undefined, what: (field: string) => () => string): {
  source: LockSource; resolved?: string; tarball?: RegistryTarball
} => {
  const string = (field: string): string | undefined => yamlString(context, yamlField(resolution, field), what(`resolution.${field}`))
  const type = string('type')
  const tarball = string('tarball')
  if (type === 'git') {
    const repo = string('repo')
    const commit = string('commit')
    return repo === undefined ? { source: 'git' } : { source: 'git', resolved: commit === undefined ? repo : `${repo}#${commit}` }
  }
  if (type === 'directory') {
    const directory = string('directory')
    const source: LockSource = spec?.startsWith('link:') === true ? 'link' : 'file'
    return directory === undefined ? { source } : { source, resolved: directory }
  }
  if (tarball !== undefined) {
    const described = describeSpec(tarball)
    return described.tarball === undefined ? { source: described.source, resolved: tarball } : { source: described.source, resolved: tarball, tarball: described.tarball }
  }
  if (type === undefined && string('integrity') !== undefined) return { source: 'registry' }
  return { source: 'unknown' }
}

/** The importers (or, for a single project in v5/v6, the top level) and their `link:` dependencies. */
const readImporters = (context: ReadContext, top: YamlMap): { workspaces: LockWorkspace[]; links: LockEntry[] } => {
  const importers = yamlMap(context, yamlField(top, 'importers'), () => '`importers`')
  const projects: Array<{ path: string; body: YamlMap; line: number; column: number }> = []
  if (importers !== undefined) {
    for (const pair of importers.pairs) {
      const body = yamlMap(context, pair.value, () => `importer ${quote(pair.key)}`) ?? { kind: 'map', pairs: [], line: pair.line, column: pair.column }
      projects.push({ path: pair.key, body, line: pair.line, column: pair.column })
    }
  } else if (DEPENDENCY_TYPES.some((type) => yamlField(top, type) !== undefined)) {
    projects.push({ path: '.', body: top, line: 1, column: 1 })
  }
  const paths = new Set(projects.map((project) => normalizeRelative(project.path)))
  const links: LockEntry[] = []
  for (const project of projects) {
    for (const type of DEPENDENCY_TYPES) {
      const dependencies = yamlMap(context, yamlField(project.body, type), () => `\`${type}\` of importer ${quote(project.path)}`)
      for (const pair of dependencies?.pairs ?? []) {
        const version = importedVersion(context, pair.value, () => `${quote(pair.key)} in importer ${quote(project.path)}`)
        if (version?.startsWith('link:') !== true) continue
        const target = normalizeRelative(project.path === '.' ? version.slice(5) : `${project.path}/${version.slice(5)}`)
        links.push({
          name: pair.key, version: undefined, key: pair.key, line: pair.line, column: pair.column,
          location: project.path === '.' ? `node_modules/${pair.key}` : `${project.path}/node_modules/${pair.key}`,
          resolved: version, source: paths.has(target) ? 'workspace' : 'link',
          dev: type === 'devDependencies', optional: type === 'optionalDependencies',
        })
      }
    }
  }
  return { workspaces: projects.map(({ path, line, column }) => ({ path, line, column })), links }
}

/** v6+/v9 `{specifier, version}` or v5 `version` alone. */
const importedVersion = (context: ReadContext, node: YamlNode, what: () => string): string | undefined => {
  if (node.kind === 'map') return yamlString(context, yamlField(node, 'version'), what)
  return yamlString(context, node, what)
}

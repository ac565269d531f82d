import { access } from 'node:fs/promises'
import { join } from 'node:path'
import Arborist, { type ArboristNode } from '@npmcli/arborist'
import getInstallScripts from '@npmcli/arborist/lib/install-scripts.js'
import scriptAllowed from '@npmcli/arborist/lib/script-allowed.js'
import hostedGitInfo from 'hosted-git-info'
import { parseAllowKey } from '../policy/allow-scripts-keys.js'
import type { InstalledPackage } from '../types.js'

const { getTrustedRegistryIdentity, isScriptAllowed, matches, resolvedSourceSpecs, trustedDisplay } = scriptAllowed

/**
 * The installed tree as `policy approve|deny|prune` see it, read offline the way npm 11's
 * install-scripts commands read it (Arborist `loadActual`); a project with a lockfile and no
 * node_modules yet is read from the lockfile (`loadVirtual`). The project, its workspaces and
 * bundled dependencies are left out (npm never runs a bundled dependency's scripts). Read-only:
 * a concern of its own next to arborist.ts, and like it, no Arborist node leaves this module.
 */
export interface InstalledTree {
  readonly source: 'node_modules' | 'lockfile' | 'none'
  readonly packages: readonly InstalledPackage[]
}

export interface LoadInstalledOptions {
  readonly path: string
  readonly flat: Readonly<Record<string, unknown>>
  /** The policy npm resolves (package.json allowScripts, else .npmrc allow-scripts): decides `unreviewed`. */
  readonly policy: Readonly<Record<string, boolean>> | null
  /** allowScripts keys to relate to each package (`targetedBy`, `matchedBy`). */
  readonly keys: readonly string[]
}

export const loadInstalledPackages = async (options: LoadInstalledOptions): Promise<InstalledTree> => {
  const exists = (name: string): Promise<boolean> => access(join(options.path, name)).then(() => true, () => false)
  const arb = new Arborist({ ...options.flat, path: options.path })
  let tree: ArboristNode
  let source: InstalledTree['source']
  if (await exists('node_modules')) {
    tree = await arb.loadActual()
    source = 'node_modules'
  } else if (await exists('package-lock.json') || await exists('npm-shrinkwrap.json')) {
    tree = await arb.loadVirtual()
    source = 'lockfile'
  } else {
    return { source: 'none', packages: [] }
  }
  // Sorted by location as package-lock.json is: Arborist's inventory order depends on filesystem
  // timing, so npm 11 itself writes several versions of one package in no stable order.
  const nodes = [...tree.inventory.values()]
    .filter((node) => !(node.isProjectRoot || node.isWorkspace || node.inBundle || (node.isLink && node.target.isWorkspace)))
    .sort((a, b) => a.location.localeCompare(b.location, 'en'))
  const packages: InstalledPackage[] = []
  for (const node of nodes) packages.push(await describeNode(node, options))
  return { source, packages }
}

const describeNode = async (node: ArboristNode, options: LoadInstalledOptions): Promise<InstalledPackage> => {
  const display = trustedDisplay(node)
  const scripts = await getInstallScripts(node)
  const hasScripts = Object.keys(scripts).length > 0
  const linkOrInert = node.isLink || node.inert
  return {
    location: node.location,
    displayName: display.name,
    displayVersion: display.version,
    nameKey: nameKeyFor(node),
    versionedKey: versionedKeyFor(node),
    hasScripts,
    scripts,
    path: node.path,
    requiredBy: hasScripts ? workspacesOf(node) : [],
    approval: linkOrInert || !hasScripts ? null : approvalOf(isScriptAllowed(node, options.policy)),
    integrity: node.integrity,
    linkOrInert,
    unreviewed: !linkOrInert && hasScripts && isScriptAllowed(node, options.policy) === null,
    targetedBy: options.keys.filter((key) => targets(node, key)),
    matchedBy: options.keys.filter((key) => matches(node, key, false)),
  }
}

const primarySource = (node: ArboristNode): string => resolvedSourceSpecs(node)[0] ?? ''

/** npm's nameKeyFor: the registry name from the resolved URL (or a consumer's edge), the hosted shortcut, or the path. */
const nameKeyFor = (node: ArboristNode): string | null => {
  const resolved = primarySource(node)
  if (resolved.startsWith('git')) return hostedGitInfo.fromUrl(resolved)?.shortcut({ noCommittish: true }) ?? null
  if (resolved.startsWith('file:') || resolved.startsWith('/')) return resolved
  return getTrustedRegistryIdentity(node)?.name ?? null
}

/** npm's versionedKeyFor: `name@version` from the resolved URL only, `shortcut#commit`, or the path. */
const versionedKeyFor = (node: ArboristNode): string | null => {
  const resolved = primarySource(node)
  if (resolved.startsWith('git')) {
    const hosted = hostedGitInfo.fromUrl(resolved)
    if (hosted === undefined) return null
    const base = hosted.shortcut({ noCommittish: true })
    return hosted.committish === null || hosted.committish === '' ? base : `${base}#${hosted.committish}`
  }
  if (/^https?:\/\//.test(resolved)) {
    const trusted = getTrustedRegistryIdentity(node)
    return trusted?.version === null || trusted?.version === undefined ? null : `${trusted.name}@${trusted.version}`
  }
  if (resolved.startsWith('file:') || resolved.startsWith('/')) return resolved
  return null
}

/** npm's keyTargetsNode: the key names this package, whatever version it pins. */
const targets = (node: ArboristNode, key: string): boolean => {
  const parsed = parseAllowKey(key)
  switch (parsed.kind) {
    case 'registry':
      return getTrustedRegistryIdentity(node)?.name === parsed.name
    case 'git': {
      const ssh = (spec: string): string | undefined => hostedGitInfo.fromUrl(spec)?.ssh({ noCommittish: true })
      const resolved = primarySource(node)
      const keyHost = ssh(parsed.repository)
      return keyHost !== undefined && resolved !== '' && keyHost === ssh(resolved)
    }
    case 'path':
    case 'remote':
      return matches(node, key, false)
    case 'alias':
      return false
  }
}

const approvalOf = (verdict: boolean | null): 'approved' | 'denied' | 'unreviewed' =>
  verdict === true ? 'approved' : verdict === false ? 'denied' : 'unreviewed'

/** The workspaces (or `.` for the root project) that reach a node through dependency edges. */
const workspacesOf = (node: ArboristNode): string[] => {
  const found = new Set<string>()
  const queue: ArboristNode[] = [node]
  const visited = new Set<ArboristNode>()
  while (queue.length > 0 && visited.size < 10_000) {
    const current = queue.shift() as ArboristNode
    if (visited.has(current)) continue
    visited.add(current)
    for (const edge of current.edgesIn) {
      const from = edge.from
      if (from === null) continue
      if (from.isProjectRoot) found.add('.')
      else if (from.isWorkspace) found.add(from.location)
      else queue.push(from)
    }
    for (const link of current.linksIn) queue.push(link)
  }
  return [...found].sort()
}

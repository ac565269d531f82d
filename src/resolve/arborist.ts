import Arborist, { type ArboristNode } from '@npmcli/arborist'
import hostedGitInfo from 'hosted-git-info'
import scriptAllowed from '@npmcli/arborist/lib/script-allowed.js'
import unreviewedScripts from '@npmcli/arborist/lib/unreviewed-scripts.js'
import type { AllowScripts } from '../policy/allow-scripts.js'
import { countBuildHooks, listBuildHooks } from './build-hooks.js'
import { ROOT_EVENTS } from '../hook-plan.js'
import type { Approval, PackageRecord, PackageSource } from '../types.js'

const { isScriptAllowed, matches, getTrustedRegistryIdentity } = scriptAllowed
const { collectUnreviewedScripts } = unreviewedScripts

/**
 * The only module that imports Arborist. Nodes are mapped at once to readonly PackageRecords;
 * identity comes from the lockfile / resolved URL (npm's allowScripts rules), never the tarball.
 */
export interface ArboristSession {
  buildIdealTree(add: readonly string[]): Promise<void>
  loadVirtual(): Promise<void>
  reify(add: readonly string[], save: boolean): Promise<void>
  rebuild(names: readonly string[]): Promise<number>
  /** The package whose hook runs in `path` (a node's real path), from the current ideal/actual tree. */
  lookup(path: string): PackageRecord | undefined
  /**
   * The git dependency of the tree whose manifest name is `name`, for pacote's `prepare` of a git
   * dependency, which runs in a temporary clone outside the tree. Undefined unless exactly one matches.
   */
  lookupGit(name: string): PackageRecord | undefined
  /** Packages of the ideal tree with install scripts that allowScripts neither approves nor denies. */
  unreviewed(): Promise<Array<{ readonly pkg: PackageRecord; readonly scripts: Readonly<Record<string, string>> }>>
  /** Locations in the lockfile that differ from the ideal tree (npm ci's "in sync" check). */
  lockfileDrift(): string[]
  readonly rootPackage: () => Record<string, unknown>
  /** Installed packages in the current tree, the root excluded. */
  packageCount(): number
  /**
   * Who asked for `url`: every package of the tree (being) built with a dependency whose spec is
   * that URL, or whose lockfile entry resolves to it; `dependency` is the name it was asked under.
   */
  requestersOf(url: string): Array<{ readonly pkg: PackageRecord; readonly dependency: string }>
  /**
   * With ignore-scripts: the hooks the builds of this session would have run and did not (none
   * runs), as Arborist would have queued them, then the project's own install scripts when
   * `withRoot` (install without specs, ci). Empty without ignore-scripts.
   */
  hooksNotRun(withRoot: boolean): Promise<Array<{ readonly pkg: PackageRecord; readonly event: string; readonly command: string }>>
}

export interface ArboristOptions {
  readonly flat: Readonly<Record<string, unknown>>
  readonly path: string
  readonly scriptShell: string
  readonly npmBin: string
  readonly allowScripts: AllowScripts
  readonly workspaces: readonly string[]
  readonly ignoreScripts: boolean
  /** npm's fetch `agent` option: the resolver egress gate. */
  readonly agent?: (url: URL) => unknown
  /** npm's `git` setting: the resolver gate's git shim. */
  readonly git?: string
  /**
   * Told, each time Arborist starts a build (reify's, once the packages are on disk, or
   * `rebuild`'s), how many hooks it is about to hand to the script shell (build-hooks.ts).
   */
  readonly onBuild?: (hooks: number) => void
}

export const openArborist = (options: ArboristOptions): ArboristSession => {
  const arb = new Arborist({
    ...options.flat,
    path: options.path,
    workspaces: [...options.workspaces],
    allowScripts: options.allowScripts.entries,
    scriptShell: options.scriptShell,
    npmBin: options.npmBin,
    npmInstallCmd: ['install', '--force'],
    foregroundScripts: false,
    ignoreScripts: options.ignoreScripts,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.git === undefined ? {} : { git: options.git }),
    auditLevel: null,
    audit: false,
    fund: false,
  })
  const buildOptions = { allowScripts: options.allowScripts.entries, rebuildBundle: options.flat['rebuildBundle'] !== false }
  // With ignore-scripts Arborist still builds (bin links) and runs no hook: what it built is what was not run.
  const notBuilt: ArboristNode[] = []
  const onBuild = options.onBuild
  if (options.ignoreScripts) watchBuilds(arb, (nodes) => { notBuilt.push(...nodes) })
  else if (onBuild !== undefined) watchBuilds(arb, async (nodes) => onBuild(await countBuildHooks(nodes, buildOptions)))
  let virtualTree: ArboristNode | null = null
  let lockSnapshot: Map<string, LockEntry> | null = null
  let byPath: Map<string, ArboristNode> | null = null
  const currentTree = (): ArboristNode | null => arb.idealTree ?? arb.actualTree ?? virtualTree

  const indexTree = (): Map<string, ArboristNode> => {
    const index = new Map<string, ArboristNode>()
    const tree = currentTree()
    if (tree !== null) {
      for (const node of tree.inventory.values()) {
        const target = node.isLink ? node.target : node
        if (target !== null && !index.has(target.path)) index.set(target.path, target)
        if (target !== null && !index.has(target.realpath)) index.set(target.realpath, target)
        if (!node.isLink) {
          index.set(node.path, node)
          index.set(node.realpath, node)
        }
      }
    }
    return index
  }

  const toRecord = (node: ArboristNode): PackageRecord => mapNode(node, options.allowScripts)

  return {
    buildIdealTree: async (add) => {
      await arb.buildIdealTree({ add: [...add] })
      byPath = null
    },
    loadVirtual: async () => {
      virtualTree = await arb.loadVirtual()
      lockSnapshot = snapshotInventory(virtualTree)
      byPath = null
    },
    reify: async (add, save) => {
      await arb.reify({ add: [...add], save })
      byPath = null
    },
    rebuild: async (names) => {
      const tree = await arb.loadActual()
      byPath = null
      const wanted = new Set(names)
      const nodes = [...tree.inventory.values()].filter((node) =>
        !node.isProjectRoot && (wanted.size === 0 || wanted.has(mapNode(node, options.allowScripts).name) || wanted.has(node.packageName)))
      await arb.rebuild({ nodes })
      return nodes.length
    },
    requestersOf: (url) => {
      const tree = currentTree()
      if (tree === null) return []
      const wanted = hostedKey(url)
      const same = (spec: string | null): boolean => {
        if (spec === null) return false
        const bare = spec.replace(/^git\+/, '').replace(/#.*$/, '')
        if (wanted !== null && hostedKey(spec) === wanted) return true
        try {
          return new URL(bare).href === url || bare === url
        } catch {
          return bare === url
        }
      }
      const found = new Map<string, { pkg: PackageRecord; dependency: string }>()
      const add = (from: ArboristNode, dependency: string): void => {
        const pkg = toRecord(from)
        found.set(`${pkg.location} ${dependency}`, { pkg, dependency })
      }
      for (const node of [tree, ...tree.inventory.values()]) {
        for (const edge of node.edgesOut.values()) if (same(edge.spec)) add(node, edge.name)
        if (same(node.resolved)) for (const edge of node.edgesIn) if (edge.from !== null) add(edge.from, edge.name)
      }
      return [...found.values()]
    },
    lookup: (path) => {
      byPath ??= indexTree()
      const node = byPath.get(path)
      if (node === undefined) {
        byPath = indexTree()
        const retry = byPath.get(path)
        return retry === undefined ? undefined : toRecord(retry)
      }
      return toRecord(node)
    },
    lookupGit: (name) => {
      const tree = currentTree()
      if (tree === null) return undefined
      const candidates = [...tree.inventory.values()].filter((node) =>
        !node.isLink && (node.resolved ?? '').startsWith('git') && (node.package.name === name || node.name === name))
      return candidates.length === 1 && candidates[0] !== undefined ? toRecord(candidates[0]) : undefined
    },
    unreviewed: async () => {
      const tree = arb.idealTree ?? virtualTree
      if (tree === null) return []
      const found = await collectUnreviewedScripts({ tree, policy: options.allowScripts.entries, ignoreScripts: options.ignoreScripts })
      return found.map(({ node, scripts }) => ({ pkg: toRecord(node), scripts }))
    },
    lockfileDrift: () => {
      if (lockSnapshot === null || arb.idealTree === null) return []
      return compareInventories(lockSnapshot, arb.idealTree)
    },
    rootPackage: () => (currentTree()?.package ?? {}),
    hooksNotRun: async (withRoot) => {
      if (!options.ignoreScripts) return []
      const hooks = (await listBuildHooks(notBuilt, buildOptions)).map(({ node, event, command }) => ({ pkg: toRecord(node), event, command }))
      const root = currentTree()
      if (!withRoot || root === null) return hooks
      const scripts = (root.package.scripts ?? {}) as Record<string, unknown>
      const own = ROOT_EVENTS.flatMap((event) => {
        const command = scripts[event]
        return typeof command === 'string' ? [{ pkg: toRecord(root), event, command }] : []
      })
      return [...hooks, ...own]
    },
    packageCount: () => {
      const tree = currentTree()
      if (tree === null) return 0
      return [...tree.inventory.values()].filter((node) => !node.isProjectRoot && !node.isLink).length
    },
  }
}

/**
 * Reify builds through `this.rebuild({ nodes })`: wrapping this instance's method is the one place
 * where the nodes to build are known with their package.json on disk, before any of them runs.
 */
const watchBuilds = (arb: Arborist, onNodes: (nodes: ArboristNode[]) => void | Promise<void>): void => {
  const rebuild = arb.rebuild.bind(arb)
  arb.rebuild = async (args) => {
    // Without nodes Arborist builds the whole actual tree, read inside rebuild: not counted.
    if (args?.nodes === undefined) return rebuild(args)
    const nodes = [...args.nodes]
    await onNodes(nodes)
    return rebuild({ ...args, nodes })
  }
}

interface LockEntry {
  readonly name: string
  readonly version: string
}

/** Taken before buildIdealTree, which reuses (and mutates) the virtual tree's nodes. */
const snapshotInventory = (tree: ArboristNode): Map<string, LockEntry> => {
  const snapshot = new Map<string, LockEntry>()
  for (const node of tree.inventory.values()) snapshot.set(node.location, { name: node.name, version: node.version })
  return snapshot
}

/** npm ci's validateLockfile: every ideal node must be in the lockfile at the same version. */
const compareInventories = (lock: ReadonlyMap<string, LockEntry>, ideal: ArboristNode): string[] => {
  const drift: string[] = []
  for (const node of ideal.inventory.values()) {
    const locked = lock.get(node.location)
    if (locked === undefined) {
      drift.push(`Missing: ${node.name}@${node.version} from lock file`)
    } else if (locked.version !== node.version) {
      drift.push(`Invalid: lock file's ${locked.name}@${locked.version} does not satisfy ${node.name}@${node.version}`)
    }
  }
  return drift
}

const sourceOf = (node: ArboristNode): PackageSource => {
  if (node.isProjectRoot) return 'root'
  if (node.isWorkspace) return 'workspace'
  const resolved = node.resolved ?? ''
  if (resolved.startsWith('git') || /^git\+|^github:/.test(resolved)) return 'git'
  if (resolved.startsWith('file:')) return /\.(tgz|tar\.gz|tar)$/.test(resolved) ? 'file' : 'directory'
  if (node.linksIn.size > 0 && resolved === '') return 'directory'
  if (node.isRegistryDependency) return 'registry'
  if (/^https?:/.test(resolved)) return 'remote'
  return 'unknown'
}

const matchingKey = (node: ArboristNode, allow: AllowScripts, want: boolean): string | null => {
  for (const [key, value] of Object.entries(allow.entries ?? {})) {
    if (value === want && matches(node, key, !want)) return key
  }
  return null
}

const mapNode = (node: ArboristNode, allow: AllowScripts): PackageRecord => {
  const target = node.isLink ? node.target : node
  const source = sourceOf(target)
  const trusted = source === 'registry' ? getTrustedRegistryIdentity(target) : null
  const own = source === 'root' || source === 'workspace'
  const verdict = own ? true : isScriptAllowed(target, allow.entries)
  const approval: Approval = verdict === true ? 'approved' : verdict === false ? 'denied' : 'unreviewed'
  return {
    name: trusted?.name ?? (own ? String(target.package.name ?? target.name) : target.name),
    version: trusted?.version ?? target.version ?? '',
    location: target.location,
    path: target.path,
    resolved: target.resolved,
    source,
    isRoot: target.isProjectRoot,
    inBundle: target.inBundle,
    optional: target.optional,
    dev: target.dev,
    approval,
    approvedBy: own ? null : verdict === null ? null : matchingKey(target, allow, verdict),
  }
}

/**
 * Identity of a hook that runs outside the tree: pacote runs `prepare` of a git dependency in a
 * temporary clone. The resolved spec comes from npm (npm_package_resolved), never the package.
 */
export const identifyDetached = (resolved: string, allow: AllowScripts, selfName: string): PackageRecord => {
  const pseudo = {
    resolved, isRegistryDependency: false, inBundle: false, linksIn: new Set(), edgesIn: new Set(),
    realpath: '', path: '', version: '',
  } as unknown as ArboristNode
  const verdict = isScriptAllowed(pseudo, allow.entries)
  return {
    name: selfName === '' ? resolved : selfName,
    version: '',
    location: resolved,
    path: '',
    resolved,
    source: resolved.startsWith('git') ? 'git' : resolved.startsWith('file:') ? 'directory' : 'remote',
    isRoot: false,
    inBundle: false,
    optional: false,
    dev: false,
    approval: verdict === true ? 'approved' : verdict === false ? 'denied' : 'unreviewed',
    approvedBy: verdict === null ? null : matchingKey(pseudo, allow, verdict),
  }
}

/** `domain/user/project` of a hosted git spec or URL (github:x/y, git+ssh://git@github.com/x/y.git ...), else null. */
const hostedKey = (spec: string): string | null => {
  const info = hostedGitInfo.fromUrl(spec.replace(/#.*$/, ''))
  return info === undefined ? null : `${info.domain}/${info.user}/${info.project}`
}


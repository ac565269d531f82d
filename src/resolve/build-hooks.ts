import type { ArboristNode } from '@npmcli/arborist'
import getInstallScripts from '@npmcli/arborist/lib/install-scripts.js'
import scriptAllowed from '@npmcli/arborist/lib/script-allowed.js'

const { isScriptAllowed } = scriptAllowed

/** The hooks Arborist's build runs for a plain dependency; a link also runs its `prepare`. */
const DEP_EVENTS = ['preinstall', 'install', 'postinstall'] as const
const LINK_EVENTS = ['preinstall', 'prepare', 'install', 'postinstall'] as const

/** One hook Arborist's build hands to the script shell: the package that owns it (a link's target), its event and command. */
export interface BuildHook {
  readonly node: ArboristNode
  readonly event: string
  readonly command: string
}

export interface BuildHookOptions {
  readonly allowScripts: Readonly<Record<string, boolean>> | null
  readonly rebuildBundle: boolean
}

/**
 * The hooks Arborist's build (`rebuild({ nodes })`, which reify calls once its packages are on
 * disk) will hand to the script shell, in the way its build queues them
 * (@npmcli/arborist lib/arborist/rebuild.js): links apart, a link's target not built twice,
 * bundled dependencies walked in (they reach the shell and are refused there), packages whose
 * allowScripts entry denies them left out (never queued). Scripts are read as npm reads them,
 * package.json on disk and the implicit `node-gyp rebuild` included. An estimate only in the
 * rare cases Arborist skips a queued node (one it is about to remove).
 */
export const listBuildHooks = async (nodes: Iterable<ArboristNode>, options: BuildHookOptions): Promise<BuildHook[]> => {
  const deps = new Set<ArboristNode>()
  const links = new Set<ArboristNode>()
  for (const node of nodes) (node.isLink ? links : deps).add(node)
  for (const link of links) deps.delete(link.target)
  const withBundled = (set: ReadonlySet<ArboristNode>): Set<ArboristNode> => {
    const all = new Set(set)
    if (!options.rebuildBundle) return all
    const walk = (node: ArboristNode): void => {
      for (const child of node.children.values()) {
        if (child.inBundle && !all.has(child)) {
          all.add(child)
          walk(child)
        }
      }
    }
    for (const node of set) walk(node)
    return all
  }
  const hooks: BuildHook[] = []
  for (const [set, events] of [[withBundled(deps), DEP_EVENTS], [withBundled(links), LINK_EVENTS]] as const) {
    for (const node of set) {
      if (isScriptAllowed(node, options.allowScripts) === false) continue
      const scripts = await scriptsOf(node)
      for (const event of events) {
        const command = scripts[event]
        if (command !== undefined) hooks.push({ node: node.isLink ? node.target : node, event, command })
      }
    }
  }
  return hooks
}

/** How many hooks `listBuildHooks` finds: what a build is about to run (progress totals). */
export const countBuildHooks = async (nodes: Iterable<ArboristNode>, options: BuildHookOptions): Promise<number> =>
  (await listBuildHooks(nodes, options)).length

/** npm's enumeration (getInstallScripts), plus a link's own `prepare`, which it leaves to the build. */
const scriptsOf = async (node: ArboristNode): Promise<Readonly<Record<string, string>>> => {
  const target = node.isLink ? node.target : node
  const scripts = await getInstallScripts(target).catch(() => ({}))
  const prepare = target.package.scripts?.['prepare']
  return node.isLink && typeof prepare === 'string' && prepare !== '' ? { ...scripts, prepare } : scripts
}

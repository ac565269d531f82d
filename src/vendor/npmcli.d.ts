/** Minimal typings for the npm internals we use. Only what the code touches is declared. */

declare module '@npmcli/config' {
  interface ConfigOptions {
    definitions: unknown
    shorthands: unknown
    flatten: unknown
    nerfDarts?: readonly string[]
    npmPath: string
    env?: Record<string, string | undefined>
    argv?: readonly string[]
    platform?: string
    execPath?: string
    cwd?: string
    warn?: boolean
  }
  export default class Config {
    constructor(options: ConfigOptions)
    load(): Promise<void>
    get(key: string, where?: string): unknown
    set(key: string, value: unknown, where?: string): void
    setEnvs(): void
    validate(where?: string): boolean
    readonly flat: Record<string, unknown>
    readonly localPrefix: string
    readonly globalPrefix: string
    readonly home: string
    readonly env: Record<string, string | undefined>
    readonly parsedArgv: { remain: string[] }
    readonly data: Map<string, { data: Record<string, unknown>; source: string | null; valid: boolean }>
    readonly list: ReadonlyArray<Record<string, unknown>>
  }
}

declare module '@npmcli/config/lib/definitions/index.js' {
  const defs: {
    definitions: Record<string, unknown>
    shorthands: Record<string, unknown>
    flatten: unknown
    nerfDarts: readonly string[]
  }
  export default defs
}

declare module '@npmcli/map-workspaces' {
  export default function mapWorkspaces(options: {
    cwd: string
    pkg: unknown
  }): Promise<Map<string, string>>
}

declare module '@npmcli/run-script' {
  interface RunScriptOptions {
    event: string
    path: string
    pkg?: unknown
    args?: readonly string[]
    env?: Record<string, string>
    stdio?: 'pipe' | 'inherit'
    scriptShell?: string
  }
  export default function runScript(options: RunScriptOptions): Promise<{ code: number | null; signal: string | null }>
}

declare module '@npmcli/arborist' {
  export interface ArboristEdge {
    readonly name: string
    readonly spec: string
    readonly type: string
    readonly to: ArboristNode | null
    readonly from: ArboristNode | null
  }
  export interface ArboristNode {
    readonly name: string
    readonly packageName: string
    readonly version: string
    readonly location: string
    readonly path: string
    readonly realpath: string
    readonly resolved: string | null
    readonly integrity: string | null
    readonly isLink: boolean
    readonly isRoot: boolean
    readonly isProjectRoot: boolean
    readonly isWorkspace: boolean
    readonly isRegistryDependency: boolean
    readonly inBundle: boolean
    readonly inert: boolean
    readonly optional: boolean
    readonly dev: boolean
    readonly depth: number
    readonly hasInstallScript: boolean
    readonly target: ArboristNode
    readonly package: { name?: string; version?: string; scripts?: Record<string, string>; gypfile?: boolean; [key: string]: unknown }
    readonly inventory: { values(): IterableIterator<ArboristNode>; readonly size: number }
    readonly children: Map<string, ArboristNode>
    readonly edgesIn: Set<ArboristEdge>
    readonly edgesOut: Map<string, ArboristEdge>
    readonly linksIn: Set<ArboristNode>
    readonly meta: { loadedFromDisk: boolean; originalLockfileVersion?: number } | null
  }
  export default class Arborist {
    constructor(options: Record<string, unknown>)
    readonly idealTree: ArboristNode | null
    readonly actualTree: ArboristNode | null
    loadVirtual(options?: Record<string, unknown>): Promise<ArboristNode>
    loadActual(options?: Record<string, unknown>): Promise<ArboristNode>
    buildIdealTree(options?: Record<string, unknown>): Promise<ArboristNode>
    reify(options?: Record<string, unknown>): Promise<ArboristNode>
    rebuild(options?: { nodes?: Iterable<ArboristNode>; handleOptionalFailure?: boolean }): Promise<void>
  }
}

declare module '@npmcli/arborist/lib/script-allowed.js' {
  import type { ArboristNode } from '@npmcli/arborist'
  const scriptAllowed: {
    isScriptAllowed: (node: ArboristNode, policy: Readonly<Record<string, boolean>> | null) => boolean | null
    matches: (node: ArboristNode, key: string, failClosed: boolean) => boolean
    getTrustedRegistryIdentity: (node: ArboristNode) => { name: string; version: string | null } | null
    resolvedSourceSpecs: (node: ArboristNode) => string[]
    trustedDisplay: (node: ArboristNode) => { name: string | null; version: string | null }
  }
  export default scriptAllowed
}

declare module '@npmcli/arborist/lib/unreviewed-scripts.js' {
  import type { ArboristNode } from '@npmcli/arborist'
  const unreviewed: {
    collectUnreviewedScripts: (options: {
      tree: ArboristNode
      policy: Readonly<Record<string, boolean>> | null
      ignoreScripts?: boolean
    }) => Promise<Array<{ node: ArboristNode; scripts: Record<string, string> }>>
  }
  export default unreviewed
}


declare module '@npmcli/arborist/lib/install-scripts.js' {
  import type { ArboristNode } from '@npmcli/arborist'
  /** The install-time scripts npm would run for the node (node-gyp rebuild included), `{}` when none. */
  const getInstallScripts: (node: ArboristNode) => Promise<Record<string, string>>
  export default getInstallScripts
}

declare module 'hosted-git-info' {
  interface HostedGitInfo {
    readonly type: string
    readonly domain: string
    readonly user: string
    readonly project: string
    readonly committish: string | null
    ssh(options?: { noCommittish?: boolean }): string
    shortcut(options?: { noCommittish?: boolean }): string
  }
  const hostedGitInfo: { fromUrl(url: string): HostedGitInfo | undefined }
  export default hostedGitInfo
}

declare module 'cacache' {
  interface CacheGet {
    /** Content by integrity; rejects with code EINTEGRITY when the bytes do not match. */
    byDigest(cache: string, integrity: string): Promise<Buffer>
    hasContent(cache: string, integrity: string): Promise<false | { sri: unknown; size: number }>
  }
  const cacache: { get: CacheGet }
  export default cacache
}

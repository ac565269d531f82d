/** Shared records of the install pipeline. Arborist nodes never appear here. */

export type Mode = 'enforce' | 'report'
export type UnreviewedMode = 'sandbox' | 'skip' | 'fail'
export type Approval = 'approved' | 'unreviewed' | 'denied'
export type CommandName = 'install' | 'ci' | 'rebuild' | 'audit'
export type Severity = 'error' | 'warning' | 'note'

/** Where a package came from, read from the lockfile / resolved spec (never from its tarball). */
export type PackageSource = 'root' | 'workspace' | 'registry' | 'git' | 'directory' | 'remote' | 'file' | 'unknown'

/** One installed package, identified the way npm's allowScripts matcher identifies it. */
export interface PackageRecord {
  readonly name: string
  readonly version: string
  readonly location: string
  readonly path: string
  readonly resolved: string | null
  readonly source: PackageSource
  readonly isRoot: boolean
  readonly inBundle: boolean
  readonly optional: boolean
  readonly dev: boolean
  readonly approval: Approval
  /** The allowScripts key that decided the approval, when one did. */
  readonly approvedBy: string | null
}

export interface PackageRef {
  readonly name: string
  readonly version: string
  readonly location?: string
}

/** A lifecycle hook npm asked to run, as received from the script shell shim. */
export interface ScriptTask {
  readonly pkg: PackageRecord
  readonly event: string
  readonly command: string
  readonly cwd: string
  /** Variables npm computed for this script (npm_package_*, npm_lifecycle_*, PATH ...). Unfiltered. */
  readonly lifecycleEnv: Readonly<Record<string, string>>
}

export type ScriptDecision =
  | { readonly kind: 'run'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: string }

export type ScriptOutcomeKind = 'ok' | 'failed' | 'skipped' | 'blocked' | 'timeout'

export interface ScriptOutcome {
  readonly event: string
  readonly command: string
  readonly outcome: ScriptOutcomeKind
  readonly exitCode: number | null
  readonly durationMs: number
  readonly signal?: string
  /** Last bytes of stdout+stderr, control characters stripped, secrets redacted. */
  readonly output?: string
  readonly reason?: string
  /** Processes still alive after the hook ended (killed by us). */
  readonly escaped?: readonly EscapedProcess[]
  /** A sandbox limit the hook ran into (it was killed for it). */
  readonly limit?: ResourceLimit
  /** What the tracer saw the hook do, already as findings. */
  readonly traced?: readonly Finding[]
}

export interface ResourceLimit {
  readonly kind: 'pids' | 'file-size'
  /** Processes at once, or bytes per file. */
  readonly max: number
}

export interface EscapedProcess {
  readonly pid: number
  readonly command: string
}

export interface ScriptRun {
  readonly pkg: PackageRecord
  readonly outcome: ScriptOutcome
  readonly startedAt: number
}

export interface Finding {
  readonly rule: string
  readonly severity: Severity
  readonly package: PackageRef
  readonly event?: string
  readonly action: 'blocked' | 'reported'
  readonly message: string
  /** Facts behind the finding; `fix` holds the exact command that approves or fixes, when there is one. */
  readonly evidence: Readonly<Record<string, unknown>>
}

export interface IsolationInfo {
  readonly backend: 'bwrap' | 'unshare' | 'sandbox-exec' | 'none'
  readonly network: 'namespace' | 'proxy-env'
  readonly filesystem: 'namespace' | 'decoy-home'
  readonly pid: 'namespace' | 'process-group'
  readonly tracer: 'strace' | 'preload' | 'none'
}

export interface EgressEvent {
  readonly package: PackageRef
  readonly event: string
  readonly protocol: 'http' | 'https' | 'dns' | 'tcp' | 'udp'
  readonly host: string
  readonly port: number
  readonly method?: string
  readonly path?: string
  readonly bytesOut: number
  readonly bytesIn: number
  readonly decision: 'allowed' | 'blocked'
}

export interface ReportPackage {
  readonly name: string
  readonly version: string
  readonly location: string
  readonly approval: Approval
  readonly scripts: readonly ReportScript[]
}

export interface ReportScript {
  readonly event: string
  readonly command: string
  readonly outcome: ScriptOutcomeKind
  readonly exitCode: number | null
  readonly durationMs: number
}

/** The JSON report, schemaVersion 1 (DESIGN.md; schemas/report.schema.json). */
export interface Report {
  readonly schemaVersion: 1
  readonly tool: { readonly name: 'safe-install'; readonly version: string }
  readonly command: CommandName
  readonly mode: Mode
  readonly startedAt: string
  readonly durationMs: number
  readonly isolation: IsolationInfo
  readonly packages: readonly ReportPackage[]
  readonly egress: readonly EgressEvent[]
  readonly findings: readonly Finding[]
  readonly summary: {
    readonly packages: number
    readonly scriptsRun: number
    readonly findings: { readonly error: number; readonly warning: number; readonly note: number }
  }
}

/**
 * An installed package as approvals see it (`policy approve|deny|prune`), with npm 11's identity
 * rules: keys come from the lockfile's resolved URL (registry), the hosted shortcut (git) or the
 * resolved path (file), never from the tarball's own package.json.
 */
export interface InstalledPackage {
  readonly location: string
  /** What `policy approve <name[@range]>` matches: the trusted name and version, else the folder's. */
  readonly displayName: string | null
  readonly displayVersion: string | null
  /** npm's name-only key (`esbuild`, `github:o/r`, `file:...`), null without a trusted identity. */
  readonly nameKey: string | null
  /** npm's pinned key (`esbuild@0.25.12`, `github:o/r#sha`, `file:...`), null when the version cannot be trusted. */
  readonly versionedKey: string | null
  readonly hasScripts: boolean
  /** The install scripts npm would run (npm's own enumeration: hooks, implicit node-gyp rebuild, prepare of non-registry sources). */
  readonly scripts: Readonly<Record<string, string>>
  /** The package folder. */
  readonly path: string
  /** The workspaces (`.` for the root project) whose dependencies lead to it, when it has scripts. */
  readonly requiredBy: readonly string[]
  /** npm's verdict with the policy it resolves, for packages with scripts (null otherwise, and for links). */
  readonly approval: 'approved' | 'denied' | 'unreviewed' | null
  /** The lockfile's integrity of the installed tarball, when it has one. */
  readonly integrity: string | null
  /** A link or an optional dependency that cannot be installed here: never a candidate for --all or prune. */
  readonly linkOrInert: boolean
  /** Has install scripts and no allowScripts entry (or npm config) decides it: what --all picks. */
  readonly unreviewed: boolean
  /** The allowScripts keys, of those asked about, that name this package whatever their version. */
  readonly targetedBy: readonly string[]
  /** The allowScripts keys, of those asked about, that match it with npm's matcher (versions included). */
  readonly matchedBy: readonly string[]
}

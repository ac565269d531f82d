import type { BackendProbe, TracerProbe, UnshareProbe } from '../sandbox/backends/probe.js'
import type { IsolationInfo } from '../types.js'

/** One isolation layer `safe-install doctor` checks; stable ids (docs/doctor.md lists them). */
export type CheckId =
  | 'userns' | 'bwrap' | 'unshare' | 'netns' | 'mountns' | 'pidns'
  | 'strace' | 'seccomp-bpf' | 'preload' | 'container' | 'sandbox-exec'

/** `ok`: the layer works; `degraded`: it works with less than it could give; `missing`: it does not work here. */
export type CheckStatus = 'ok' | 'missing' | 'degraded'

export interface DoctorCheck {
  readonly id: CheckId
  readonly title: string
  readonly status: CheckStatus
  /** What the layer gives the user when it works. */
  readonly gives: string
  /** What was found, one line. */
  readonly detail: string
  /** Why it is missing or degraded; null when ok. */
  readonly reason: string | null
  /** Commands that fix it, alternatives in order of preference; empty when ok or when another check's fix applies. */
  readonly fix: readonly string[]
}

export type ContainerKind = 'docker' | 'podman' | 'kubernetes' | 'lxc' | 'containerd' | 'systemd-nspawn' | 'container'

/** The sysctls the diagnosis reads, by their sysctl names; null when the file is absent (feature not in this kernel). */
export interface Sysctls {
  readonly 'kernel.unprivileged_userns_clone': string | null
  readonly 'user.max_user_namespaces': string | null
  readonly 'kernel.apparmor_restrict_unprivileged_userns': string | null
  readonly 'kernel.yama.ptrace_scope': string | null
  readonly 'kernel.seccomp.actions_avail': string | null
}

/** What /proc and the container markers say about this machine and process (read once; pure from here on). */
export interface HostFacts {
  readonly platform: string
  readonly arch: string
  readonly kernel: string
  /** null where there are no uids (Windows). */
  readonly uid: number | null
  readonly sysctl: Sysctls
  /** From /proc/self/status; null when unknown. */
  readonly capSysAdmin: boolean | null
  readonly capSysPtrace: boolean | null
  readonly seccomp: 'none' | 'strict' | 'filter' | null
  readonly noNewPrivs: boolean | null
  readonly container: { readonly kind: ContainerKind | null; readonly evidence: readonly string[] }
}

/** The result of one real attempt. */
export type Attempt<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'not-tried'; readonly why: string }

/** A binary that a layer needs; `override` names the env variable that chose it, if one did. */
export type BinaryInfo =
  | { readonly kind: 'found'; readonly path: string; readonly version: string | null; readonly setuid: boolean; readonly override: string | null }
  /** `onPath`: where PATH has it, when an override names a missing file instead. */
  | { readonly kind: 'absent'; readonly override: string | null; readonly onPath: string | null }

/** The launcher the namespace attempts ran with (the one an install would use when there is one). */
export type NamespaceTool =
  | { readonly kind: 'bwrap'; readonly path: string }
  | { readonly kind: 'unshare'; readonly path: string; readonly user: boolean }

export interface NetAttempt { readonly interfaces: readonly string[]; readonly loopback: boolean }
export interface MountAttempt { readonly private: boolean }
export interface PidAttempt { readonly newNamespace: boolean; readonly visibleProcesses: number }

/** Everything the diagnosis reads, gathered by run-doctor.ts; unit tests build it by hand. */
export interface DoctorInput {
  readonly facts: HostFacts
  readonly bwrapBinary: BinaryInfo
  readonly straceBinary: BinaryInfo
  readonly unshareBinary: BinaryInfo
  /** The same probes an install runs (src/sandbox/backends/probe.ts). */
  readonly bwrap: BackendProbe
  readonly unshare: UnshareProbe
  readonly strace: TracerProbe
  readonly userns: Attempt<{ readonly via: string }>
  readonly tool: NamespaceTool | null
  readonly netns: Attempt<NetAttempt>
  readonly mountns: Attempt<MountAttempt>
  readonly pidns: Attempt<PidAttempt>
  /** `disabled`: SAFE_INSTALL_PRELOAD=0. */
  readonly preload: Attempt<{ readonly recorded: boolean }> | { readonly kind: 'disabled' }
  readonly seatbelt: { readonly present: boolean; readonly enabled: boolean }
  /** The isolation an install here selects (selectBackend with these probe results). */
  readonly isolation: IsolationInfo
}

/** The bottom line: what an install here gets, from the same selection code. */
export interface SandboxSummary {
  /** Whether hooks run in the namespace sandbox (bwrap or unshare). */
  readonly namespace: boolean
  readonly transparentCapture: boolean
  /** The warning an install prints here (running degraded), or null. */
  readonly warning: { readonly reason: string; readonly fix: string } | null
  /** The report's isolation line and the gaps it lists for this isolation. */
  readonly line: string
  readonly gaps: readonly string[]
  /** What `install --require-isolation` does here. */
  readonly requireIsolation: { readonly wouldPass: boolean; readonly reason: string | null; readonly fix: string | null }
}

/** `safe-install doctor --format json` (schemas/doctor.schema.json), schemaVersion 1. */
export interface DoctorResult {
  readonly schemaVersion: 1
  readonly tool: { readonly name: 'safe-install'; readonly version: string }
  readonly command: 'doctor'
  readonly host: HostFacts
  readonly checks: readonly DoctorCheck[]
  /** Exactly the `isolation` object of an install's report on this machine. */
  readonly isolation: IsolationInfo
  readonly sandbox: SandboxSummary
}

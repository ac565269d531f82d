import { installFixes, type Blocker } from './fixes.js'
import type { BinaryInfo, CheckId, DoctorCheck } from './types.js'

/** What each layer gives the user when it works (the `gives` field; docs/doctor.md). */
export const GIVES: Readonly<Record<CheckId, string>> = {
  userns: 'lets an ordinary user build the sandbox without root, and lets transparent capture keep the two capabilities it needs',
  bwrap: 'the preferred launcher: each hook in its own user, mount, pid, network and IPC namespaces',
  unshare: 'the launcher when bubblewrap is missing or broken: the same namespaces through util-linux unshare and iproute2',
  netns: 'a hook sees only loopback, bridged to the egress proxy: a client that ignores the proxy variables cannot connect out directly',
  mountns: 'a hook sees the root read-only and the real home hidden, and can write only its package directory and a private tmp',
  pidns: 'a hook cannot read other processes\' /proc (environ, cmdline), and nothing it starts outlives it',
  strace: 'records every file a hook opened, program it ran and address it connected to, native code included',
  'seccomp-bpf': 'strace stops hooks only at the traced system calls (--seccomp-bpf), so traced hooks run near full speed',
  preload: 'records what node code in a hook did through node\'s APIs; the tracer where strace cannot run (not a security boundary)',
  container: 'whether this runs in a container, whose runtime may forbid namespaces or ptrace',
  'sandbox-exec': 'macOS Seatbelt confines a hook\'s files and network (experimental, opt-in)',
}

export const TITLES: Readonly<Record<CheckId, string>> = {
  userns: 'user namespaces', bwrap: 'bubblewrap', unshare: 'unshare fallback', netns: 'network namespace', mountns: 'mount namespace',
  pidns: 'pid namespace', strace: 'strace', 'seccomp-bpf': 'seccomp-bpf', preload: 'preload observer', container: 'container',
  'sandbox-exec': 'sandbox-exec',
}

export const check = (id: CheckId, status: DoctorCheck['status'], detail: string, why?: Blocker): DoctorCheck => ({
  id, title: TITLES[id], status, gives: GIVES[id], detail,
  reason: status === 'ok' ? null : why?.reason ?? null,
  fix: status === 'ok' ? [] : why?.fix ?? [],
})

export const binaryLabel = (binary: Extract<BinaryInfo, { kind: 'found' }>): string =>
  `${binary.path}${binary.version === null ? '' : ` (${binary.version})`}`

/** A binary that is not there: an override naming a missing file, or not installed. */
export const absentBinary = (binary: Extract<BinaryInfo, { kind: 'absent' }>, what: string, pkg: string): Blocker =>
  binary.override === null ? { reason: `${what} is not installed`, fix: installFixes(pkg) }
    : binary.onPath === null ? { reason: `${binary.override} is set to a file that does not exist`, fix: [`unset ${binary.override}`, ...installFixes(pkg)] }
      : { reason: `${binary.override} is set to a file that does not exist`, fix: [`unset ${binary.override}   # to use ${binary.onPath}`] }

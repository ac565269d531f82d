import type { DoctorInput, HostFacts } from '../../../src/doctor/types.js'

/** A Linux host where every layer works: the base each test changes one thing of. */
export const healthyFacts = (changes: Partial<HostFacts> = {}): HostFacts => ({
  platform: 'linux',
  arch: 'x64',
  kernel: '6.8.0',
  uid: 1000,
  sysctl: {
    'kernel.unprivileged_userns_clone': null,
    'user.max_user_namespaces': '63000',
    'kernel.apparmor_restrict_unprivileged_userns': null,
    'kernel.yama.ptrace_scope': '1',
    'kernel.seccomp.actions_avail': 'kill_process kill_thread trap errno user_notif trace log allow',
  },
  capSysAdmin: false,
  capSysPtrace: false,
  seccomp: 'none',
  noNewPrivs: false,
  container: { kind: null, evidence: [] },
  ...changes,
})

export const withSysctl = (facts: HostFacts, sysctl: Partial<HostFacts['sysctl']>): HostFacts => ({ ...facts, sysctl: { ...facts.sysctl, ...sysctl } })

export const healthyInput = (changes: Partial<DoctorInput> = {}): DoctorInput => ({
  facts: healthyFacts(),
  bwrapBinary: { kind: 'found', path: '/usr/bin/bwrap', version: 'bubblewrap 0.9.0', setuid: false, override: null },
  straceBinary: { kind: 'found', path: '/usr/bin/strace', version: 'strace -- version 6.8', setuid: false, override: null },
  unshareBinary: { kind: 'found', path: '/usr/bin/unshare', version: 'unshare from util-linux 2.39.3', setuid: false, override: null },
  bwrap: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', capture: { kind: 'available', unshare: '/usr/bin/unshare' } },
  unshare: { kind: 'unshare', unshare: '/usr/bin/unshare' },
  strace: { kind: 'strace', strace: '/usr/bin/strace', seccomp: true },
  userns: { kind: 'ok', value: { via: 'unshare --user --map-root-user' } },
  tool: { kind: 'bwrap', path: '/usr/bin/bwrap' },
  netns: { kind: 'ok', value: { interfaces: ['lo'], loopback: true } },
  mountns: { kind: 'ok', value: { private: true } },
  pidns: { kind: 'ok', value: { newNamespace: true, visibleProcesses: 4 } },
  preload: { kind: 'ok', value: { recorded: true } },
  seatbelt: { present: false, enabled: false },
  isolation: { backend: 'bwrap', network: 'namespace', filesystem: 'namespace', pid: 'namespace', tracer: 'strace' },
  ...changes,
})

const NO_NAMESPACES = 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.'

/** What the probes and attempts report when user namespaces are refused to an ordinary user. */
export const noUsernsInput = (facts: HostFacts): DoctorInput => healthyInput({
  facts,
  bwrap: { kind: 'unavailable', reason: `unprivileged user namespaces are disabled (${NO_NAMESPACES})`, fix: 'enable them' },
  unshare: { kind: 'unavailable', reason: 'unprivileged user namespaces are disabled (unshare: unshare failed: Operation not permitted)', fix: 'enable them' },
  userns: { kind: 'failed', error: 'unshare: unshare failed: Operation not permitted' },
  netns: { kind: 'failed', error: NO_NAMESPACES },
  mountns: { kind: 'failed', error: NO_NAMESPACES },
  pidns: { kind: 'failed', error: NO_NAMESPACES },
  isolation: { backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'preload' },
})

import type { ContainerKind, HostFacts } from './types.js'

/** One cause of a missing layer and the commands that remove it (pure data). */
export interface Blocker { readonly reason: string; readonly fix: readonly string[] }

/** How to install a package on the common distributions. */
export const installFixes = (pkg: string): string[] => [
  `sudo apt-get install ${pkg}   # Debian, Ubuntu`,
  `sudo dnf install ${pkg}   # Fedora, RHEL`,
  `sudo apk add ${pkg}   # Alpine`,
]

const persist = (setting: string): string => `echo ${setting} | sudo tee /etc/sysctl.d/90-safe-install.conf   # keeps it after a reboot`

/**
 * An AppArmor profile that lets bubblewrap (only) create user namespaces under Ubuntu's
 * restriction, as one command; the alternative lifts the restriction for every program.
 */
export const apparmorProfileFix = (bwrap: string): string =>
  `printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile bwrap ${bwrap} flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/bwrap && sudo apparmor_parser -r /etc/apparmor.d/bwrap`

/** The run flags that let a container create namespaces (mounts need AppArmor unconfined too). */
export const containerNamespaceFixes = (kind: ContainerKind): string[] => {
  const docker = 'docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cap-add SYS_ADMIN …'
  const podman = 'podman run --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cap-add SYS_ADMIN …'
  switch (kind) {
    case 'docker': return [docker]
    case 'podman': return [podman]
    case 'kubernetes':
      return ['in the pod spec: securityContext: { seccompProfile: { type: Unconfined }, appArmorProfile: { type: Unconfined }, capabilities: { add: [SYS_ADMIN] } }']
    case 'lxc':
      return ['lxc config set <container> security.nesting true']
    case 'containerd':
    case 'systemd-nspawn':
    case 'container':
      return [docker, podman]
  }
}

const containerPtraceFixes = (kind: ContainerKind): string[] => {
  switch (kind) {
    case 'docker': return ['docker run --cap-add SYS_PTRACE …   # add --security-opt seccomp=unconfined on kernels before 4.8']
    case 'podman': return ['podman run --cap-add SYS_PTRACE …']
    case 'kubernetes': return ['in the pod spec: securityContext: { capabilities: { add: [SYS_PTRACE] } }']
    case 'lxc':
    case 'containerd':
    case 'systemd-nspawn':
    case 'container':
      return ['docker run --cap-add SYS_PTRACE …', 'podman run --cap-add SYS_PTRACE …']
  }
}

/**
 * Why user namespaces (and so an unprivileged sandbox) are refused here, from the sysctls and
 * the container facts, most specific first. Empty when nothing known explains it.
 */
export const namespaceBlockers = (facts: HostFacts, bwrap: string): Blocker[] => {
  const { sysctl, uid, container } = facts
  const privileged = uid === 0
  const blockers: Blocker[] = []
  if (sysctl['user.max_user_namespaces'] === '0') {
    blockers.push({
      reason: 'user.max_user_namespaces is 0: user namespaces are disabled',
      fix: ['sudo sysctl -w user.max_user_namespaces=15000', persist('user.max_user_namespaces=15000')],
    })
  }
  if (sysctl['kernel.unprivileged_userns_clone'] === '0' && !privileged) {
    blockers.push({
      reason: 'kernel.unprivileged_userns_clone is 0: this kernel forbids user namespaces to ordinary users',
      fix: ['sudo sysctl -w kernel.unprivileged_userns_clone=1', persist('kernel.unprivileged_userns_clone=1')],
    })
  }
  if (sysctl['kernel.apparmor_restrict_unprivileged_userns'] === '1' && !privileged) {
    blockers.push({
      reason: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns is 1, the default since Ubuntu 23.10 and 24.04)',
      fix: [apparmorProfileFix(bwrap), 'or, for every program: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'],
    })
  }
  const limits = containerLimits(facts)
  if (container.kind !== null && limits.length > 0) {
    blockers.push({
      reason: `this runs in a ${container.kind} container (${limits.join(', ')}), whose runtime may forbid creating namespaces`,
      fix: containerNamespaceFixes(container.kind),
    })
  }
  return blockers
}

/**
 * What a container runtime took away that namespaces need: a seccomp filter (Docker's default
 * profile refuses unshare and namespace clone flags), and, for root only, CAP_SYS_ADMIN (an
 * ordinary user never has it, so its absence says nothing about the container).
 */
export const containerLimits = (facts: HostFacts): string[] => [
  facts.seccomp === 'filter' ? 'a seccomp filter is applied' : '',
  facts.uid === 0 && facts.capSysAdmin === false ? 'root without CAP_SYS_ADMIN' : '',
].filter(Boolean)

/** Why strace may not trace here, from Yama's ptrace_scope, the capabilities and the container. */
export const ptraceBlockers = (facts: HostFacts): Blocker[] => {
  const scope = facts.sysctl['kernel.yama.ptrace_scope']
  const blockers: Blocker[] = []
  if (scope === '3') {
    blockers.push({
      reason: 'kernel.yama.ptrace_scope is 3: ptrace is disabled until the next reboot',
      fix: ['echo kernel.yama.ptrace_scope=1 | sudo tee /etc/sysctl.d/10-ptrace.conf, then reboot   # 3 cannot be lowered while running'],
    })
  }
  if (scope === '2' && facts.capSysPtrace !== true) {
    blockers.push({ reason: 'kernel.yama.ptrace_scope is 2: only administrators may trace', fix: ['sudo sysctl kernel.yama.ptrace_scope=1'] })
  }
  if (facts.container.kind !== null && facts.capSysPtrace === false) {
    blockers.push({
      reason: `this runs in a ${facts.container.kind} container without CAP_SYS_PTRACE`,
      fix: containerPtraceFixes(facts.container.kind),
    })
  }
  return blockers
}

/** The blockers as one reason and their fixes in order, or the fallback when none is known. */
export const explain = (blockers: readonly Blocker[], fallback: Blocker): Blocker =>
  blockers.length === 0 ? fallback : { reason: blockers.map((b) => b.reason).join('; '), fix: blockers.flatMap((b) => b.fix) }

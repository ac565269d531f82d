import { existsSync, readFileSync } from 'node:fs'
import { arch, platform, release } from 'node:os'
import type { ContainerKind, HostFacts, Sysctls } from './types.js'

const SYSCTL_FILES: Readonly<Record<keyof Sysctls, string>> = {
  'kernel.unprivileged_userns_clone': '/proc/sys/kernel/unprivileged_userns_clone',
  'user.max_user_namespaces': '/proc/sys/user/max_user_namespaces',
  'kernel.apparmor_restrict_unprivileged_userns': '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
  'kernel.yama.ptrace_scope': '/proc/sys/kernel/yama/ptrace_scope',
  'kernel.seccomp.actions_avail': '/proc/sys/kernel/seccomp/actions_avail',
}

const CAP_SYS_PTRACE = 19n
const CAP_SYS_ADMIN = 21n

/** The capability, seccomp and no_new_privs lines of /proc/self/status (pure). */
export const parseProcStatus = (text: string | undefined): Pick<HostFacts, 'capSysAdmin' | 'capSysPtrace' | 'seccomp' | 'noNewPrivs'> => {
  const field = (name: string): string | undefined => text === undefined ? undefined
    : new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1]
  const capEff = field('CapEff')
  const caps = capEff !== undefined && /^[0-9a-f]+$/i.test(capEff) ? BigInt(`0x${capEff}`) : undefined
  const has = (bit: bigint): boolean | null => caps === undefined ? null : ((caps >> bit) & 1n) === 1n
  const seccomp = field('Seccomp')
  const nnp = field('NoNewPrivs')
  return {
    capSysAdmin: has(CAP_SYS_ADMIN),
    capSysPtrace: has(CAP_SYS_PTRACE),
    seccomp: seccomp === '0' ? 'none' : seccomp === '1' ? 'strict' : seccomp === '2' ? 'filter' : null,
    noNewPrivs: nnp === undefined ? null : nnp === '1',
  }
}

const CGROUP_MARKERS: ReadonlyArray<readonly [RegExp, ContainerKind]> = [
  [/kubepods/, 'kubernetes'],
  [/libpod|podman/, 'podman'],
  [/docker/, 'docker'],
  [/containerd|cri-containerd/, 'containerd'],
  [/\/lxc[/.]|lxc\.payload/, 'lxc'],
  [/machine\.slice\/.*nspawn|systemd-nspawn/, 'systemd-nspawn'],
]

/**
 * Whether this process runs in a container, and which runtime, from the markers runtimes leave
 * (/.dockerenv, /run/.containerenv, the `container` variable podman and systemd-nspawn set) and
 * the cgroup paths of pid 1 and of this process (pure). Evidence says what was seen.
 */
export const detectContainer = (markers: {
  readonly dockerenv: boolean
  readonly containerenv: boolean
  readonly containerVar: string | undefined
  readonly cgroups: readonly string[]
}): HostFacts['container'] => {
  const evidence: string[] = []
  let kind: ContainerKind | null = null
  const found = (what: ContainerKind, why: string): void => {
    kind ??= what
    evidence.push(why)
  }
  if (markers.dockerenv) found('docker', '/.dockerenv exists')
  if (markers.containerenv) found('podman', '/run/.containerenv exists')
  const variable = markers.containerVar?.trim()
  if (variable !== undefined && variable !== '') {
    const named = (['docker', 'podman', 'lxc', 'systemd-nspawn'] as const).find((name) => variable.startsWith(name))
    found(named ?? 'container', 'the container variable is set')
  }
  for (const text of markers.cgroups) {
    for (const [pattern, name] of CGROUP_MARKERS) {
      if (pattern.test(text) && !evidence.includes(`cgroup names ${name}`)) found(name, `cgroup names ${name}`)
    }
  }
  return { kind, evidence }
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Read the facts from /proc and the container markers (I/O: reads /proc only, and tests two marker files' existence). */
export const gatherHostFacts = (env: Readonly<Record<string, string | undefined>>): HostFacts => {
  const sysctl = Object.fromEntries(Object.entries(SYSCTL_FILES).map(([name, file]) => [name, readText(file)?.trim() ?? null])) as unknown as Sysctls
  const linux = process.platform === 'linux'
  return {
    platform: platform(),
    arch: arch(),
    kernel: release(),
    uid: process.getuid?.() ?? null,
    sysctl,
    ...parseProcStatus(linux ? readText('/proc/self/status') : undefined),
    container: linux
      ? detectContainer({
          dockerenv: existsSync('/.dockerenv'),
          containerenv: existsSync('/run/.containerenv'),
          containerVar: env['container'],
          cgroups: [readText('/proc/1/cgroup'), readText('/proc/self/cgroup')].filter((text): text is string => text !== undefined),
        })
      : { kind: null, evidence: [] },
  }
}

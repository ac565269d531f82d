import { existsSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { execa } from 'execa'

/** What the namespace backend probe found; probed once per run. */
export type BackendProbe =
  | { readonly kind: 'bwrap'; readonly bwrap: string; readonly capture: CaptureProbe }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly fix: string }

/** Whether transparent capture can run: util-linux unshare, capabilities kept in the user namespace, nested user namespaces. */
export type CaptureProbe =
  | { readonly kind: 'available'; readonly unshare: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly fix: string }

export const findOnPath = (name: string, path: string | undefined): string | undefined =>
  (path ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name)).find((file) => existsSync(file))

/** Explain a bwrap failure the way a user can act on it. */
export const diagnoseBwrapFailure = (stderr: string): { reason: string; fix: string } => {
  if (/ENOSPC|No space left on device|max_\S*namespaces exceeded/i.test(stderr)) {
    return {
      reason: `user namespaces are disabled or used up (user.max_user_namespaces is 0, or the nesting limit was reached: ${stderr.trim().split('\n')[0] ?? ''})`,
      fix: 'allow them: sudo sysctl -w user.max_user_namespaces=15000 (run `safe-install doctor` for this machine\'s details)',
    }
  }
  if (/uid map|user namespace|unprivileged/i.test(stderr) || /No permissions to create new namespace/i.test(stderr)) {
    return {
      reason: `unprivileged user namespaces are disabled (${stderr.trim().split('\n')[0] ?? ''})`,
      fix: 'enable them: sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or, on Ubuntu 24.04, kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap',
    }
  }
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    return {
      reason: `the kernel refused to create namespaces (${stderr.trim().split('\n')[0] ?? ''}); this is typical of a container without CAP_SYS_ADMIN or with a seccomp profile that blocks unshare`,
      fix: 'run the container with --security-opt seccomp=unconfined (or a profile allowing unshare/clone with namespace flags), or run safe-install outside the container',
    }
  }
  return { reason: `bubblewrap could not start a sandbox: ${stderr.trim().split('\n')[0] ?? 'unknown error'}`, fix: 'run `bwrap --unshare-all --ro-bind / / true` to see the full error' }
}

/** Probe bubblewrap on Linux: present on PATH, and able to create every namespace we use. */
export const probeBwrap = async (env: Readonly<Record<string, string | undefined>>): Promise<BackendProbe> => {
  if (process.platform !== 'linux') {
    return { kind: 'unavailable', reason: `no namespace backend on ${process.platform} in this version`, fix: 'run on Linux with bubblewrap installed for the namespace sandbox' }
  }
  const bwrap = env['SAFE_INSTALL_BWRAP'] ?? findOnPath('bwrap', env['PATH'])
  if (bwrap === undefined || !existsSync(bwrap)) {
    return { kind: 'unavailable', reason: 'bubblewrap (bwrap) is not installed', fix: 'install it: sudo apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)' }
  }
  const base = [
    '--die-with-parent', '--unshare-pid', '--unshare-net', '--unshare-ipc',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
  ]
  const options = { reject: false, timeout: 10_000, extendEnv: false, env: { PATH: '/usr/bin:/bin' } } as const
  const unshare = findOnPath('unshare', env['PATH'])
  if (unshare !== undefined) {
    // The exact set-up of a hook with capture: root of a user namespace keeping two capabilities, the hook in a nested one.
    const ids = `--map-user=${process.getuid?.() ?? 0}`
    const withCapture = await execa(bwrap, [
      ...base, '--unshare-user', '--uid', '0', '--gid', '0', '--cap-add', 'CAP_NET_BIND_SERVICE', '--cap-add', 'CAP_SETFCAP',
      '--', unshare, '--user', ids, `--map-group=${process.getgid?.() ?? 0}`, '--', 'true',
    ], options)
    if (withCapture.exitCode === 0) return { kind: 'bwrap', bwrap, capture: { kind: 'available', unshare } }
  }
  const result = await execa(bwrap, [...base, '--unshare-user-try', '--', 'true'], options)
  if (result.exitCode !== 0) return { kind: 'unavailable', ...diagnoseBwrapFailure(String(result.stderr)) }
  return {
    kind: 'bwrap',
    bwrap,
    capture: unshare === undefined
      ? { kind: 'unavailable', reason: 'util-linux unshare is not installed', fix: 'install util-linux (it provides unshare)' }
      : {
          kind: 'unavailable',
          reason: 'bubblewrap cannot keep capabilities in a user namespace or nest one (bubblewrap older than 0.4, or nested user namespaces disabled)',
          fix: 'upgrade bubblewrap and allow user namespaces (user.max_user_namespaces > 0)',
        },
  }
}

/** The fallback launcher without bubblewrap: util-linux unshare, mount and pivot_root, iproute2's ip. */
export type UnshareProbe =
  | { readonly kind: 'unshare'; readonly unshare: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly fix: string }

/**
 * Probe the unshare launcher: the tools on PATH, and one namespace set-up like a hook's (user
 * root mapping, mount/net/pid namespaces, a tmpfs, loopback up, a nested user namespace with the
 * user's own ids). `SAFE_INSTALL_UNSHARE` overrides the binary (a missing one disables it).
 */
export const probeUnshare = async (env: Readonly<Record<string, string | undefined>>, scratch: string): Promise<UnshareProbe> => {
  if (process.platform !== 'linux') return { kind: 'unavailable', reason: `no namespaces on ${process.platform}`, fix: 'run on Linux' }
  const unshare = env['SAFE_INSTALL_UNSHARE'] ?? findOnPath('unshare', env['PATH'])
  const sbin = `/usr/sbin${delimiter}/sbin${delimiter}${env['PATH'] ?? ''}`
  const missing = [
    unshare === undefined || !existsSync(unshare) ? 'unshare (util-linux)' : undefined,
    findOnPath('ip', sbin) === undefined ? 'ip (iproute2)' : undefined,
    findOnPath('pivot_root', sbin) === undefined ? 'pivot_root (util-linux)' : undefined,
    findOnPath('mount', sbin) === undefined ? 'mount (util-linux)' : undefined,
  ].filter((tool): tool is string => tool !== undefined)
  if (unshare === undefined || missing.length > 0) {
    return { kind: 'unavailable', reason: `${missing.join(', ')} not installed`, fix: 'install bubblewrap (preferred), or util-linux and iproute2' }
  }
  const ids = `--map-user=${process.getuid?.() ?? 0} --map-group=${process.getgid?.() ?? 0}`
  const result = await execa(unshare, [
    '--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--',
    '/bin/sh', '-c', `mount -t tmpfs probe "$0" && ip link set lo up && ${unshare} --user ${ids} true`, scratch,
  ], { reject: false, timeout: 10_000, extendEnv: false, env: { PATH: sbin } })
  if (result.exitCode === 0) return { kind: 'unshare', unshare }
  return { kind: 'unavailable', ...diagnoseBwrapFailure(String(result.stderr)) }
}

/** The syscall tracer: strace on PATH (`SAFE_INSTALL_STRACE` overrides; a missing one disables it), ptrace allowed; seccomp-bpf filtering when the kernel offers it. */
export type TracerProbe =
  | { readonly kind: 'strace'; readonly strace: string; readonly seccomp: boolean }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly fix: string }

export const probeStrace = async (env: Readonly<Record<string, string | undefined>>): Promise<TracerProbe> => {
  if (process.platform !== 'linux') return { kind: 'unavailable', reason: `no strace on ${process.platform}`, fix: 'run on Linux' }
  const strace = env['SAFE_INSTALL_STRACE'] ?? findOnPath('strace', env['PATH'])
  if (strace === undefined || !existsSync(strace)) {
    return { kind: 'unavailable', reason: 'strace is not installed', fix: 'install it: sudo apt-get install strace (Debian/Ubuntu), dnf install strace (Fedora)' }
  }
  const options = { reject: false, timeout: 10_000, extendEnv: false, env: { PATH: '/usr/bin:/bin' } } as const
  for (const seccomp of [true, false]) {
    const result = await execa(strace, ['-f', '-qq', ...(seccomp ? ['--seccomp-bpf'] : []), '-e', 'trace=execve', '-o', '/dev/null', '--', 'true'], options)
    if (result.exitCode === 0) return { kind: 'strace', strace: realpathSync(strace), seccomp }
    if (!seccomp) {
      return {
        kind: 'unavailable',
        reason: `strace cannot trace here (${String(result.stderr).trim().split('\n')[0] ?? ''}): ptrace is forbidden (a container without CAP_SYS_PTRACE, or kernel.yama.ptrace_scope=3)`,
        fix: 'allow ptrace of child processes (kernel.yama.ptrace_scope <= 1; in Docker, --cap-add SYS_PTRACE)',
      }
    }
  }
  return { kind: 'unavailable', reason: 'strace probe failed', fix: 'run `strace -f true` to see why' }
}

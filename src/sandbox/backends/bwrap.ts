import type { Invocation, SandboxSpec } from '../spec.js'

/**
 * What the mount namespace shows a hook. Paths are absolute. Order matters and is fixed by
 * {@link buildBwrapArgv}: hide, then re-expose read-only, then writable, then binds (their targets
 * lie in a writable directory: the decoy home), then mask files.
 */
export interface MountLayout {
  /** Directories replaced by an empty tmpfs: /tmp, /run, /home, /root, the real HOME ... */
  readonly hide: readonly string[]
  /** Re-exposed read-only after hiding (the project, node's own directory ...). */
  readonly readOnly: readonly string[]
  /** Writable: the package's own directory, the hook's tmp, the decoy home, granted paths. */
  readonly writable: readonly string[]
  /**
   * Writable at another path: a `~` grant's real directory at its place in the decoy home. Both
   * must exist (src/sandbox/home-grants.ts creates them); a missing one fails the hook's start.
   */
  readonly binds: ReadonlyArray<{ readonly source: string; readonly target: string }>
  /** Files replaced by an empty file (credential-bearing npmrc, .env files). */
  readonly mask: readonly string[]
}

export interface BwrapOptions {
  readonly bwrap: string
  readonly layout: MountLayout
  /** The in-namespace init that runs the hook, then reports and kills what it left running. */
  readonly init: { readonly file: string; readonly args: readonly string[] }
  /**
   * Transparent capture: the init runs as root of a user namespace that must exist, keeping only
   * CAP_NET_BIND_SERVICE (the bridge binds 53/80/443 inside the namespace) and CAP_SETFCAP (to
   * map the user's own uid into the nested user namespace the hook runs in, without either), and
   * the namespace's resolv.conf points at the bridge's DNS stub.
   */
  readonly capture?: { readonly resolvConf: { readonly source: string; readonly target: string } } | undefined
}

const dedupe = (paths: readonly string[]): string[] => [...new Set(paths)]

/**
 * bubblewrap argv for one hook (pure; tested as data). Namespaces: user (when possible), pid,
 * net (loopback only), ipc, uts, cgroup; a new session (no TIOCSTI into the terminal); the
 * sandbox dies with safe-install. Root is read-only; /dev minimal; /proc fresh for the pid
 * namespace, so other processes' environ and memory are out of reach.
 */
export const buildBwrapArgv = (spec: SandboxSpec, options: BwrapOptions): string[] => {
  const { layout, capture } = options
  const argv = [
    '--die-with-parent', '--new-session',
    capture === undefined ? '--unshare-user-try' : '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--hostname', 'sandbox',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
  ]
  for (const dir of dedupe(layout.hide)) argv.push('--tmpfs', dir)
  for (const dir of dedupe(layout.readOnly)) argv.push('--ro-bind-try', dir, dir)
  for (const dir of dedupe(layout.writable)) argv.push('--bind-try', dir, dir)
  for (const bind of layout.binds) argv.push('--bind', bind.source, bind.target)
  for (const file of dedupe(layout.mask)) argv.push('--ro-bind-try', '/dev/null', file)
  if (capture !== undefined) {
    argv.push('--ro-bind', capture.resolvConf.source, capture.resolvConf.target)
    argv.push('--uid', '0', '--gid', '0', '--cap-add', 'CAP_NET_BIND_SERVICE', '--cap-add', 'CAP_SETFCAP')
  }
  argv.push('--chdir', spec.cwd, '--', options.init.file, ...options.init.args)
  return argv
}

export const buildBwrapInvocation = (spec: SandboxSpec, options: BwrapOptions): Invocation => ({
  file: options.bwrap,
  args: buildBwrapArgv(spec, options),
  cwd: spec.cwd,
  env: { ...spec.env, [spec.marker.name]: spec.marker.value },
})

/**
 * The same layout as steps for libexec/ns-unshare.sh (the sandbox without bubblewrap), one
 * tab-separated line each, in bwrap's order (pure). Paths with a tab or newline are refused.
 */
export const buildUnsharePlan = (layout: MountLayout, resolvConf?: { readonly source: string; readonly target: string }): string => {
  const lines: string[] = []
  const step = (op: string, ...paths: string[]): void => {
    for (const path of paths) if (/[\t\n\r]/.test(path)) throw new Error(`cannot sandbox a path with a tab or newline: ${JSON.stringify(path)}`)
    lines.push([op, ...paths].join('\t'))
  }
  for (const dir of dedupe(layout.hide)) step('hide', dir)
  for (const dir of dedupe(layout.readOnly)) step('ro', dir)
  for (const dir of dedupe(layout.writable)) step('rw', dir)
  for (const bind of layout.binds) step('bind', bind.source, bind.target)
  for (const file of dedupe(layout.mask)) step('mask', file)
  if (resolvConf !== undefined) step('file', resolvConf.source, resolvConf.target)
  return lines.join('\n')
}

/** util-linux unshare argv for one hook (pure): the namespaces of {@link buildBwrapArgv}, then ns-unshare.sh builds the mounts. */
export const buildUnshareArgv = (spec: SandboxSpec, options: {
  readonly nsUnshare: string
  /** An empty directory of ours where ns-unshare.sh builds the new root (in its own mount namespace). */
  readonly scratch: string
  readonly layout: MountLayout
  readonly resolvConf?: { readonly source: string; readonly target: string } | undefined
  readonly init: { readonly file: string; readonly args: readonly string[] }
}): string[] => [
  '--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--ipc', '--uts', '--propagation', 'private',
  '--', '/bin/sh', options.nsUnshare, options.scratch, buildUnsharePlan(options.layout, options.resolvConf), spec.cwd, options.init.file, ...options.init.args,
]

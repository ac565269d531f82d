import { existsSync, realpathSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { homedir, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SafeInstallError } from '../errors.js'
import type { IsolationInfo } from '../types.js'
import { probeBwrap, probeStrace, probeUnshare, type BackendProbe, type CaptureProbe, type TracerProbe, type UnshareProbe } from './backends/probe.js'
import { TRACED_SYSCALLS } from '../trace/collector.js'
import { homeCredentialPaths, SANDBOX_EXEC } from './backends/seatbelt.js'
import type { HookBackend, HookTracer } from './hook-runner.js'
import { installRoot, projectSecretFiles } from './mount-plan.js'

const NS_INIT = fileURLToPath(new URL('../../libexec/ns-init.sh', import.meta.url))
const NS_UNSHARE = fileURLToPath(new URL('../../libexec/ns-unshare.sh', import.meta.url))
const NS_BRIDGE = fileURLToPath(new URL('./ns-bridge.js', import.meta.url))
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const OBSERVER = fileURLToPath(new URL('../../libexec/observer.cjs', import.meta.url))

/**
 * The Node preload observer, where strace is not used: unless SAFE_INSTALL_PRELOAD=0 turns it off
 * (a package that breaks under a preload).
 */
const preloadTracer = (env: Readonly<Record<string, string | undefined>>, projectDir: string, realHome: string | undefined): HookTracer | undefined =>
  (env['SAFE_INSTALL_PRELOAD'] === '0' ? undefined : { kind: 'preload', observer: OBSERVER, projectDir, realHome })

export interface SelectedBackend {
  readonly backend: HookBackend
  readonly isolation: IsolationInfo
  /** Why the namespace sandbox is not in force, when it is not. */
  readonly degraded?: { readonly reason: string; readonly fix: string }
}

/**
 * The probes selection runs: the real ones by default; `safe-install doctor` passes the results it
 * already has, so what it reports is what this code selects from the same probe results.
 */
export interface SelectionProbes {
  readonly bwrap: (env: Readonly<Record<string, string | undefined>>) => Promise<BackendProbe>
  readonly unshare: (env: Readonly<Record<string, string | undefined>>, scratch: string) => Promise<UnshareProbe>
  readonly strace: (env: Readonly<Record<string, string | undefined>>) => Promise<TracerProbe>
}

const REAL_PROBES: SelectionProbes = { bwrap: probeBwrap, unshare: probeUnshare, strace: probeStrace }

const NONE: IsolationInfo = { backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'none' }
/** Seatbelt confines files and network, but reports claim no more than the v1 layers it is built on (experimental). */
const SEATBELT: IsolationInfo = { backend: 'sandbox-exec', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'none' }
const NAMESPACE: IsolationInfo = { backend: 'bwrap', network: 'namespace', filesystem: 'namespace', pid: 'namespace', tracer: 'none' }

/**
 * Probe once per run and pick the strongest backend available. With `requireIsolation`, a
 * missing namespace sandbox is an error (exit 4) that says why and how to fix it.
 */
export const selectBackend = async (options: {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  readonly prefix: string
  readonly npmPath: string
  readonly npmConfigFiles: readonly string[]
  readonly nodeGypDevdir: string | undefined
  readonly requireIsolation: boolean
}, probes: SelectionProbes = REAL_PROBES): Promise<SelectedBackend> => {
  if (process.platform === 'darwin' && options.env['SAFE_INSTALL_SEATBELT'] === '1' && existsSync(SANDBOX_EXEC) && !options.requireIsolation) {
    return seatbelt(options)
  }
  const found = await probeLauncher(options.env, probes)
  if (found.kind === 'unavailable') {
    if (options.requireIsolation) {
      throw new SafeInstallError('EISOLATION', `the namespace sandbox could not be set up: ${found.reason}`, found.fix)
    }
    const home = options.env['HOME'] ?? safeHome()
    const tracer = preloadTracer(options.env, options.prefix, home)
    return {
      backend: { kind: 'none', tracer, realHome: home, projectDir: options.prefix },
      isolation: { ...NONE, tracer: tracer === undefined ? 'none' : 'preload' },
      degraded: { reason: found.reason, fix: found.fix },
    }
  }
  const { launcher, capture } = found
  const tracer = await probes.strace(options.env)
  const entries = await readdir(options.prefix).catch(() => [])
  // A home that does not exist (service accounts: /nonexistent) has nothing to hide, and no mount point.
  const home = options.env['HOME'] ?? safeHome()
  const realHome = home !== undefined && existsSync(home) ? home : undefined
  const traceWith = tracer.kind === 'strace' ? { kind: 'strace' as const, argv: straceArgv(tracer.strace, tracer.seccomp) }
    : preloadTracer(options.env, options.prefix, realHome)
  return {
    backend: {
      kind: 'namespace',
      launcher,
      nsInit: NS_INIT,
      node: options.execPath,
      nsBridge: NS_BRIDGE,
      projectDir: options.prefix,
      realHome,
      runtimeDirs: [installRoot(options.execPath), PACKAGE_ROOT, options.npmPath],
      credentialFiles: [
        ...options.npmConfigFiles,
        join(options.npmPath, 'npmrc'),
        ...projectSecretFiles(options.prefix, entries),
      ].filter((file) => existsSync(file)),
      nodeGypDevdir: options.nodeGypDevdir,
      tracer: traceWith,
      capture: capture.kind === 'available'
        ? { unshare: capture.unshare, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, resolvConf: resolvConfPath() }
        : undefined,
    },
    isolation: { ...NAMESPACE, backend: launcher.kind, tracer: traceWith?.kind ?? 'none' },
    ...(capture.kind === 'available' ? {} : {
      degraded: {
        reason: `transparent capture is off, so clients that ignore the proxy variables get no network at all: ${capture.reason}`,
        fix: capture.fix,
      },
    }),
  }
}

/** strace for one hook: detached (-D: the hook stays the init's child, so it ends when the hook's own process does), follow forks, quiet, fds and cwd decoded (-y), epoch times, long strings, only the calls the rules read (`?`: absent on this architecture is fine). */
export const straceArgv = (strace: string, seccomp: boolean): string[] => [
  strace, '-D', '-f', '-qq', '-y', '-ttt', '-s', '4096', '-e', 'signal=none',
  '-e', `trace=${TRACED_SYSCALLS.map((name) => `?${name}`).join(',')}`, ...(seccomp ? ['--seccomp-bpf'] : []),
]

type Launcher = Extract<HookBackend, { kind: 'namespace' }>['launcher']

/** bubblewrap when it works, else util-linux unshare; each probed once per run. */
const probeLauncher = async (env: Readonly<Record<string, string | undefined>>, probes: SelectionProbes): Promise<
  | { readonly kind: 'found'; readonly launcher: Launcher; readonly capture: CaptureProbe }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly fix: string }
> => {
  const bwrap = await probes.bwrap(env)
  if (bwrap.kind === 'bwrap') return { kind: 'found', launcher: { kind: 'bwrap', bwrap: bwrap.bwrap }, capture: bwrap.capture }
  const scratch = await mkdtemp(join(tmpdir(), 'safe-install-probe-'))
  const fallback = await probes.unshare(env, scratch).finally(() => rm(scratch, { recursive: true, force: true }))
  if (fallback.kind === 'unshare') {
    return { kind: 'found', launcher: { kind: 'unshare', unshare: fallback.unshare, nsUnshare: NS_UNSHARE }, capture: { kind: 'available', unshare: fallback.unshare } }
  }
  return { kind: 'unavailable', reason: `${bwrap.reason}; without bubblewrap, unshare: ${fallback.reason}`, fix: bwrap.fix }
}

/** Where resolv.conf really is (often a symlink into /run, which the sandbox hides): the stub's file is mounted there. */
const resolvConfPath = (): string => {
  try {
    return realpathSync('/etc/resolv.conf')
  } catch {
    return '/etc/resolv.conf'
  }
}

const safeHome = (): string | undefined => {
  try {
    return userInfo().homedir
  } catch {
    return homedir()
  }
}

const real = (path: string): string => {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}

/** The experimental macOS backend (opt-in): Seatbelt matches resolved paths, so every path is resolved. */
const seatbelt = async (options: Parameters<typeof selectBackend>[0]): Promise<SelectedBackend> => {
  const entries = await readdir(options.prefix).catch(() => [])
  const realHome = options.env['HOME'] ?? safeHome()
  const tracer = preloadTracer(options.env, real(options.prefix), realHome === undefined ? undefined : real(realHome))
  return {
    backend: {
      kind: 'sandbox-exec',
      tracer,
      projectDir: real(options.prefix),
      realHome: realHome === undefined ? undefined : real(realHome),
      runtimeDirs: [installRoot(options.execPath), PACKAGE_ROOT, options.npmPath].map(real),
      credentialFiles: [
        ...options.npmConfigFiles,
        join(options.npmPath, 'npmrc'),
        ...projectSecretFiles(options.prefix, entries),
        ...(realHome === undefined ? [] : homeCredentialPaths(realHome)),
      ].map(real),
    },
    isolation: { ...SEATBELT, tracer: tracer === undefined ? 'none' : 'preload' },
    degraded: {
      reason: 'the experimental macOS Seatbelt backend is in use (SAFE_INSTALL_SEATBELT=1): files and network are confined by a generated profile, but there are no namespaces and it is not tested in CI',
      fix: 'see docs/macos.md; unset SAFE_INSTALL_SEATBELT to use the v1 runner',
    },
  }
}

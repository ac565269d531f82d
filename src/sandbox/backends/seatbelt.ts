import { posix } from 'node:path'
import type { Invocation, SandboxSpec } from '../spec.js'

/** Only this binary: a sandbox-exec found on PATH could be anyone's. */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec'

/**
 * What the Seatbelt profile of one hook is built from. Every path must be absolute and should be
 * the real path (`fs.realpathSync.native`): Seatbelt matches resolved paths, so a rule written
 * for a symlinked spelling never matches. `/tmp`, `/var` and `/etc` are mapped to `/private/...`
 * here, because macOS always resolves them so.
 */
export interface SeatbeltInput {
  /** The hook's working directory: its package's own directory (the project for root scripts). */
  readonly packageDir: string
  readonly projectDir: string
  readonly hookTmp: string
  readonly decoyHome: string
  /** The user's real home, hidden whatever its path; its credential catalogue is denied too. */
  readonly realHome: string | undefined
  /** Where node, npm and safe-install live: readable even when under a hidden directory (nvm). */
  readonly runtimeDirs: readonly string[]
  /** Extra writable paths granted by the policy (`~` already expanded). */
  readonly writeGrants: readonly string[]
  /** Files and directories never readable nor writable: npmrc files, the project's .env files ... */
  readonly credentialPaths: readonly string[]
  /** Further directories to hide, such as the run's session directory (other hooks' tmp). */
  readonly hiddenDirs: readonly string[]
  /** The loopback TCP port of this hook's egress proxy: the only network destination. */
  readonly proxyPort: number
}

/** The profile text and the `-D` parameters it reads: paths live only in `params`. */
export interface SeatbeltProfile {
  readonly profile: string
  readonly params: Readonly<Record<string, string>>
}

/** Directories hidden as a whole: every home, mounted volumes, shared temp (agent sockets). */
const HIDDEN = ['/Users', '/Volumes', '/private/var/root', '/private/tmp', '/private/var/tmp']

/** Credential stores under a home, denied even where the project or a runtime dir re-exposes it. */
const HOME_CREDENTIALS = [
  '.npmrc', '.yarnrc', '.yarnrc.yml', '.netrc', '.git-credentials', '.config/git/credentials', '.pypirc',
  '.ssh', '.gnupg', '.aws', '.azure', '.config/gcloud', '.config/gh', '.docker', '.kube', 'Library/Keychains',
]

/** The credential stores of a home, as absolute paths. */
export const homeCredentialPaths = (home: string): string[] => HOME_CREDENTIALS.map((entry) => posix.join(home, entry))

/**
 * An SBPL (TinyScheme) string literal. Only `\\`, `"`, `\n`, `\r` and `\t` have escapes there;
 * any other control character is refused rather than guessed at: pass such text as a parameter.
 */
export const sbplString = (text: string): string => {
  if (/[\0-\x08\v\f\x0e-\x1f\x7f]/.test(text)) {
    throw new Error(`seatbelt: ${JSON.stringify(text)} cannot be an SBPL literal; pass it as a -D parameter`)
  }
  const escaped = text.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)
  return `"${escaped}"`
}

/** The spelling Seatbelt matches: normalised, no trailing slash, macOS root symlinks resolved. */
export const seatbeltPath = (path: string): string => {
  if (path.includes('\0') || !posix.isAbsolute(path)) {
    throw new Error(`seatbelt: expected an absolute path without NUL bytes, got ${JSON.stringify(path)}`)
  }
  const normal = posix.normalize(path).replace(/(.)\/+$/, '$1')
  return ['/tmp', '/var', '/etc'].some((link) => normal === link || normal.startsWith(`${link}/`)) ? `/private${normal}` : normal
}

const assertPort = (port: number): void => {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`seatbelt: invalid proxy port ${String(port)}`)
}

const rule = (action: string, filters: readonly string[]): string[] =>
  filters.length === 0 ? [] : [`(${action}`, ...filters.map((filter) => `  ${filter}`), ')']

const subpathLiteral = (path: string): string => `(subpath ${sbplString(path)})`

/** Fixed allowances every hook needs: processes, and what node, python and compilers ask the kernel. */
const BASE = [
  '(version 1)',
  '; safe-install: one npm lifecycle hook. Deny by default; every allowance below is named.',
  '(deny default)',
  '',
  '; Scripts run shells, node, node-gyp, make and compilers; children inherit this profile.',
  '(allow process-fork)',
  '(allow process-exec)',
  '(allow signal (target same-sandbox))',
  '(allow process-info* (target same-sandbox))',
  '',
  '; CPU and memory figures (libuv os.cpus(), os.totalmem()), user and group lookups (getpwuid),',
  '; POSIX semaphores (python multiprocessing in gyp). No keychain, trustd, cfprefsd or launchd services.',
  '(allow mach-host*)',
  ...rule('allow mach-lookup', ['com.apple.system.opendirectoryd.libinfo', 'com.apple.system.opendirectoryd.membership']
    .map((name) => `(global-name ${sbplString(name)})`)),
  '(allow ipc-posix-sem)',
  '; socketpair() for child stdio pipes; connecting or binding to a socket path stays denied.',
  '(allow system-socket (socket-domain AF_UNIX))',
  '; Hardware and OS facts only: no kern.procargs2 (other processes\' argv and environment).',
  ...rule('allow sysctl-read', [
    ...['hw.', 'machdep.cpu.', 'kern.proc.pid.', 'kern.proc.pgrp.', 'net.routetable.'].map((p) => `(sysctl-name-prefix ${sbplString(p)})`),
    ...['kern.argmax', 'kern.boottime', 'kern.hostname', 'kern.maxfiles', 'kern.maxfilesperproc', 'kern.maxproc', 'kern.ngroups',
      'kern.osproductversion', 'kern.osrelease', 'kern.ostype', 'kern.osvariant_status', 'kern.osversion', 'kern.secure_kernel',
      'kern.usrstack64', 'kern.version', 'sysctl.proc_cputype', 'sysctl.proc_translated', 'vm.loadavg', 'vm.swapusage',
    ].map((name) => `(sysctl-name ${sbplString(name)})`),
  ]),
]

/** Seeing a path: reading, probing, mapping as code, running it. */
const SEE = 'file-read* file-test-existence file-map-executable process-exec'

/** `(param "KEY")` references, one per path; the paths themselves go only into `params`. */
interface ParamRefs {
  readonly pkg: string
  readonly project: string
  readonly tmp: string
  readonly home: string
  readonly runtime: readonly string[]
  readonly grants: readonly string[]
  readonly hidden: readonly string[]
  readonly realHome: readonly string[]
  readonly credentials: readonly string[]
}

const collectParams = (input: SeatbeltInput): { refs: ParamRefs; params: Record<string, string> } => {
  const params: Record<string, string> = {}
  const single = (key: string, path: string): string => {
    params[key] = seatbeltPath(path)
    return `(param ${sbplString(key)})`
  }
  const group = (prefix: string, paths: readonly string[]): string[] =>
    [...new Set(paths.map(seatbeltPath))].map((path, index) => single(`${prefix}_${index}`, path))
  const home = input.realHome
  const refs: ParamRefs = {
    pkg: single('PACKAGE_DIR', input.packageDir),
    project: single('PROJECT_DIR', input.projectDir),
    tmp: single('HOOK_TMP', input.hookTmp),
    home: single('DECOY_HOME', input.decoyHome),
    runtime: group('RUNTIME', input.runtimeDirs),
    grants: group('WRITE', input.writeGrants),
    hidden: group('HIDDEN', input.hiddenDirs),
    realHome: home === undefined || seatbeltPath(home) === '/' ? [] : [single('REAL_HOME', home)],
    credentials: group('CRED', [...input.credentialPaths, ...(home === undefined ? [] : homeCredentialPaths(home))]),
  }
  return { refs, params }
}

/**
 * The Seatbelt profile of one hook (pure; tested as text). Deny by default, as the namespace
 * sandbox on Linux is closed by default: an operation nobody thought of (a mach service, a
 * sysctl, a socket) fails instead of passing. Reads and exec: everything except every home,
 * /Volumes, the shared temp directories and terminals; of those, only the runtime, the project,
 * the package, the hook's tmp, the decoy home and the write grants are shown again. Writes: the
 * package, the hook's tmp, the decoy home, the grants and /dev/null. Network: the proxy port on
 * loopback, nothing else (no DNS, no unix socket such as ssh-agent or docker, no listening).
 * Credentials are denied last, so no allow above re-opens them, and their ancestors cannot be
 * renamed away; hard links are denied (a second name a path rule would not match). No path is
 * spliced into the text: each is a `(param "KEY")` read from the `-D KEY=path` arguments.
 */
export const buildSeatbeltProfile = (input: SeatbeltInput): SeatbeltProfile => {
  assertPort(input.proxyPort)
  const { refs, params } = collectParams(input)
  const { pkg, project, tmp, home, runtime, grants, hidden, realHome, credentials } = refs
  const shown = [pkg, project, tmp, home, ...runtime, ...grants]
  const writable = [pkg, tmp, home, ...grants]
  const profile = [
    ...BASE,
    '',
    '; Reads: all but the hidden regions, of which only what the hook needs is shown again,',
    '; with stat on the ancestors so realpath() can walk down to it.',
    '(allow file-read* file-test-existence file-map-executable)',
    ...rule(`deny ${SEE}`, [...HIDDEN.map(subpathLiteral), ...[...realHome, ...hidden].map((p) => `(subpath ${p})`)]),
    `(deny file-read* file-write* file-ioctl (regex ${sbplString('^/dev/(tty|pty)')}))`,
    ...rule(`allow ${SEE}`, shown.map((p) => `(subpath ${p})`)),
    ...rule('allow file-read-metadata', shown.map((p) => `(path-ancestors ${p})`)),
    '',
    '; Writes: the package, the hook\'s tmp, the decoy home and policy grants. Not the per-user',
    '; /var/folders temp: node honours TMPDIR (the hook\'s tmp), and every app keeps caches there.',
    ...rule('allow file-write*', writable.map((p) => `(subpath ${p})`)),
    ...rule('allow file-write-data file-ioctl', ['/dev/null', '/dev/zero', '/dev/dtracehelper'].map((d) => `(literal ${sbplString(d)})`)),
    `(allow file-read-data file-write-data (subpath ${sbplString('/dev/fd')}))`,
    '',
    '; Network: only this hook\'s egress proxy on loopback.',
    `(allow network-outbound (remote ip ${sbplString(`localhost:${input.proxyPort}`)}))`,
    '',
    '; Credentials last: later rules win, so nothing above re-opens them.',
    ...rule(`deny ${SEE} file-write*`, credentials.map((p) => `(subpath ${p})`)),
    ...rule('deny file-write-unlink', credentials.map((p) => `(path-ancestors ${p})`)),
    '(deny file-link)',
    '',
  ].join('\n')
  return { profile, params }
}

/**
 * sandbox-exec argv (without the binary): `-p <profile>`, one `-D KEY=path` per parameter (keys
 * never contain `=`), then `--` and the command. sandbox-exec parses its options with getopt, so
 * `--` ends them and a command starting with `-` is still the command.
 */
export const buildSeatbeltArgv = (
  input: SeatbeltInput,
  command: { readonly file: string; readonly args: readonly string[] },
): string[] => {
  const { profile, params } = buildSeatbeltProfile(input)
  const defines = Object.entries(params).flatMap(([key, value]) => ['-D', `${key}=${value}`])
  return ['-p', profile, ...defines, '--', command.file, ...command.args]
}

export const buildSeatbeltInvocation = (
  spec: SandboxSpec,
  input: SeatbeltInput,
  command: { readonly file: string; readonly args: readonly string[] },
): Invocation => ({
  file: SANDBOX_EXEC,
  args: buildSeatbeltArgv(input, command),
  cwd: spec.cwd,
  env: { ...spec.env, [spec.marker.name]: spec.marker.value },
})

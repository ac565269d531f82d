import { basename } from 'node:path'
import type { Finding } from '../types.js'
import { createTraceSummary, type TraceSummary } from './activity.js'
import type { ObservedEvent } from './observed.js'
import { classifyPath, loadPathRules, type PathRules } from './path-rules.js'
import { classifySpawn, identifyProgram, loadProgramRules, type ProgramRules } from './program-rules.js'
import { fromStrace } from './strace-events.js'
import type { StraceEvent } from './strace-parser.js'

/**
 * Turns what one hook was seen doing (strace's syscalls, or the preload observer's API calls, both
 * as observed.ts events) into findings (rule ids of DESIGN.md), with the catalogues of
 * policies/ (path-rules.ts, program-rules.ts): credential reads (attempts and reads of the decoy's canaries too),
 * notable programs, sockets that bypass the proxy, persistence, tampering and other writes
 * outside the package. Duplicates are folded: one finding per rule and subject, with a count
 * and the first evidence. Pure apart from loading the catalogue.
 */

/** The syscalls the tracer asks strace for (what the rules below read). */
export const TRACED_SYSCALLS = [
  'open', 'openat', 'openat2', 'creat', 'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork',
  'connect', 'sendto', 'sendmsg', 'bind',
  'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir', 'chmod', 'fchmodat', 'symlink', 'symlinkat', 'link', 'linkat', 'truncate',
  'stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2',
  'ptrace', 'process_vm_readv',
] as const

export interface TraceScope {
  readonly pkg: { readonly name: string; readonly version: string; readonly location?: string }
  readonly event: string
  /** The hook's working directory (relative paths without a decoded dirfd). */
  readonly cwd: string
  readonly projectDir: string
  readonly packageDir: string
  readonly hookTmp: string
  readonly decoyHome: string
  readonly realHome: string | undefined
  /** Other writable paths: policy grants (a `~` grant by its real directory), node-gyp's header cache. */
  readonly writable: readonly string[]
  /**
   * `~` grants mapped into the user's real home (src/sandbox/home-grants.ts): a path under `view`
   * (inside the hook's decoy home) is judged and shown as the real path it reaches, and the real
   * directories written are reported as notes, so the report says where the files really went.
   */
  readonly homeGrants?: ReadonlyArray<{ readonly grant: string; readonly view: string; readonly real: string }>
  /**
   * Directories that are an empty private tmpfs in the hook's mount namespace (the real home,
   * /home, /root, /tmp ...: src/sandbox/mount-plan.ts). A write there that succeeded landed in
   * that throwaway copy, not on the machine, so it is reported as stopped. Empty without a mount
   * namespace.
   */
  readonly throwaway?: readonly string[]
  /** The egress proxy's port on 127.0.0.1 (the bridge's inside the namespace). */
  readonly proxyPort: number
  /**
   * `namespace`: the hook's network namespace has no route but the bridge, so a direct socket
   * went nowhere. `host`: no namespace (the preload observer on the v1 runner), so it may have.
   */
  readonly network: 'namespace' | 'host'
  /** Where node, npm and safe-install live: reads there are left out of the activity summary. */
  readonly runtimeDirs?: readonly string[]
  /**
   * The hook's command. strace follows the sandbox's own launch (its init, a nested unshare)
   * before the shell that runs it: once `sh -c <command>` is seen, the activity summary starts
   * over from there. Findings are judged on everything, as before.
   */
  readonly command?: string
}

export interface TraceCollector {
  /** One strace call. */
  readonly onEvent: (event: StraceEvent) => void
  /** One tracer-neutral event (the preload observer's). */
  readonly onObserved: (event: ObservedEvent) => void
  readonly findings: () => Finding[]
  /** What the hook did, bounded, for --verbose (activity.ts). */
  readonly summary: () => TraceSummary
}

const MAX_FINDINGS = 200
/** Distinct paths listed per `~` grant in its note. */
const MAX_HOME_WRITES = 20

/**
 * The note that a hook wrote into the user's real home through a `~` grant: where the files really
 * are (not the decoy path the hook named), and that they stay after the install.
 */
export const homeWriteNote = (
  hook: Pick<Finding, 'package' | 'event'> & { readonly label: string },
  grant: { readonly grant: string; readonly real: string },
  written: readonly string[],
): Finding => ({
  package: hook.package,
  ...(hook.event === undefined ? {} : { event: hook.event }),
  rule: 'write-outside-package', severity: 'note', action: 'reported',
  message: written.length === 0
    ? `${hook.label} could write into your real home: ${grant.real} (the policy grants it ${grant.grant}); no tracer saw what it wrote, and what it put there stays after the install.`
    : `${hook.label} wrote into your real home: ${grant.real} (the policy grants it ${grant.grant}); what it put there stays after the install.`,
  evidence: { path: grant.real, grant: grant.grant, written: written.slice(0, MAX_HOME_WRITES), entry: 'home-grant' },
})

export interface TraceRules {
  readonly paths: PathRules
  readonly programs: ProgramRules
}

/** The catalogues in policies/ (sensitive-paths.json, notable-programs.json), validated and compiled. */
export const loadTraceRules = (): TraceRules => ({ paths: loadPathRules(), programs: loadProgramRules() })

/**
 * What every process reads or writes to start and run: system libraries and configuration of the
 * loader, its own /proc entries, the standard devices. Left out of the activity summary only;
 * the rules still judge them.
 */
const RUNTIME_NOISE = /^\/(?:usr|lib|lib32|lib64|libx32|bin|sbin|etc\/(?:ld\.so[^/]*|localtime|locale\.alias|nsswitch\.conf|host\.conf|gai\.conf|ssl\/openssl\.cnf)|(?:var\/)?run\/nscd|proc\/(?:meminfo|cpuinfo|stat|loadavg|version)$|proc\/(?:self|thread-self|\d+\/(?:task\/\d+\/)?(?:fd|fdinfo|maps|stat|statm|status|cgroup|mountinfo|cmdline|environ|auxv|limits))|sys|dev\/(?:null|zero|full|u?random|tty|stdin|stdout|stderr|fd|pts|ptmx|shm))(?:\/|$)/

/** Unix sockets that hand out the user's access: container engines, the session bus, ssh and gpg agents. */
const HOST_SOCKET = /docker\.sock|podman\.sock|dbus|system_bus_socket|\/bus$|ssh-[^/]*\/agent|gnupg|S\.gpg-agent/

export const createTraceCollector = (scope: TraceScope, rules: TraceRules): TraceCollector => {
  const programs = new Map<number, readonly string[]>()
  let activity = createTraceSummary()
  let launched = scope.command === undefined
  /** `sh -c <command>` (npm's script shell): the hook itself begins. */
  const isHookShell = (argv: readonly string[]): boolean => argv.at(-1) === scope.command && argv.at(-2) === '-c'
  const folded = new Map<string, { finding: Finding; count: number; succeeded: boolean }>()
  const label = `${scope.event} of ${scope.pkg.name}${scope.pkg.version === '' ? '' : `@${scope.pkg.version}`}`
  const base = { package: { ...scope.pkg }, event: scope.event }

  /**
   * One finding per key, counted. The first evidence is kept, except that an attempt which failed
   * (a PATH lookup, a hidden file) gives way to the first one that succeeded.
   */
  const report = (key: string, make: () => Omit<Finding, 'package' | 'event'>, succeeded = true): void => {
    const known = folded.get(key)
    if (known !== undefined) {
      known.count += 1
      if (!known.succeeded && succeeded) Object.assign(known, { finding: { ...base, ...make() }, succeeded })
      return
    }
    if (folded.size >= MAX_FINDINGS) return
    folded.set(key, { finding: { ...base, ...make() }, count: 1, succeeded })
  }

  /** Places the hook (or any package) could have put a program: a name there proves nothing. */
  const planted = [scope.projectDir, scope.packageDir, scope.hookTmp, scope.decoyHome, ...scope.writable]
  const under = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`)
  /** The hook's own places and the runtime's: not worth a line in the activity summary. */
  const ownOrRuntime = (path: string): boolean =>
    under(path, scope.packageDir) || under(path, scope.hookTmp) || RUNTIME_NOISE.test(path) || (scope.runtimeDirs ?? []).some((dir) => under(path, dir))
  /** The program a process runs, for the catalogue's "expected by" credit; none for a file the hook could have planted. */
  const programOf = (pid: number): string | undefined => {
    const argv = programs.get(pid)
    const file = argv?.[0]
    if (argv === undefined || file === undefined || (file.startsWith('/') && planted.some((dir) => under(file, dir)))) return undefined
    return identifyProgram(argv, rules.programs)
  }

  const facts = (event: ObservedEvent): Record<string, unknown> => ({
    [/^[a-z_0-9]+$/.test(event.op) ? 'syscall' : 'call']: event.op, pid: event.pid, time: event.time,
    ...(event.errno === undefined ? {} : { result: event.errno }),
    ...(programs.has(event.pid) ? { program: programs.get(event.pid)?.slice(0, 6) } : {}),
  })

  const homeGrants = scope.homeGrants ?? []
  const throwaway = scope.throwaway ?? []
  /** What the sandbox mounts back inside the hidden directories: a write there is real (or fails). */
  const boundBack = [scope.packageDir, scope.projectDir, scope.hookTmp, ...scope.writable, ...homeGrants.map((g) => g.real), ...(scope.runtimeDirs ?? [])]
  /** Per `~` grant: the real paths written under it (distinct, bounded). */
  const homeWrites = new Map<string, Set<string>>()
  const noteHomeWrite = (path: string): void => {
    const grant = homeGrants.find((g) => under(path, g.real))
    if (grant === undefined) return
    const seen = homeWrites.get(grant.real) ?? new Set<string>()
    homeWrites.set(grant.real, seen)
    if (seen.size < MAX_HOME_WRITES) seen.add(path)
  }

  const onPath = (event: Extract<ObservedEvent, { kind: 'path' }>): void => {
    const view = homeGrants.find((g) => under(event.path, g.view))
    const path = view === undefined ? event.path : view.real + event.path.slice(view.view.length)
    const { access } = event
    const failed = event.errno !== undefined
    if (access === 'write' && !failed) noteHomeWrite(path)
    if (!ownOrRuntime(path)) {
      if (access === 'write') activity.write(path, event.errno)
      else if (access === 'read' && !failed) activity.read(path)
    }
    const program = programOf(event.pid)
    const found = classifyPath(access, path, {
      realHome: scope.realHome, decoyHome: scope.decoyHome, projectDir: scope.projectDir, packageDir: scope.packageDir,
      hookTmp: scope.hookTmp, writableGrants: scope.writable, pid: event.pid,
      ...(program === undefined ? {} : { program }),
    }, rules.paths)
    if (found === null) return
    // Written, but into the decoy home or the sandbox's empty copy of a hidden directory: both are
    // thrown away with the hook's sandbox, so nothing changed on the machine.
    const hidden = boundBack.some((dir) => under(path, dir)) ? undefined : throwaway.find((dir) => under(path, dir))
    const copy = failed || access !== 'write' ? undefined
      : under(path, scope.decoyHome) ? "the sandbox's decoy home, which is deleted after the install"
        : hidden === undefined ? undefined : `the sandbox's empty, throwaway ${hidden}`
    const outcome = failed ? `; it failed (${event.errno ?? ''})` : copy === undefined ? '' : `; it went to ${copy}, so nothing changed on this machine`
    const verb = found.rule === 'credential-read' ? (access === 'stat' ? 'looked for' : access === 'exec' ? 'ran' : 'read') : 'tried to write'
    report(`${found.rule} ${path}`, () => ({
      rule: found.rule, severity: found.severity, action: failed || copy !== undefined ? 'blocked' : 'reported',
      message: `${label} ${verb} ${path} (${found.description})`
        + (found.decoy && found.rule === 'credential-read' ? '; that is the sandbox\'s decoy with canary values, so this proves intent.' : `${outcome}.`),
      evidence: {
        path, entry: found.entryId, decoy: found.decoy, ...facts(event),
        ...(found.rule === 'write-outside-package' ? { fix: `if the package needs it, grant it: "packages": { "${scope.pkg.name}": { "write": ["${path}"] } }` } : {}),
      },
    }), !failed)
  }

  const onExec = (event: Extract<ObservedEvent, { kind: 'exec' }>): void => {
    // What really ran is the file execve was given; argv[0] is the caller's to choose.
    const ran = [event.file, ...event.argv.slice(1)]
    if (event.errno === undefined) {
      programs.set(event.pid, ran)
      if (!launched && isHookShell(event.argv)) {
        launched = true
        activity = createTraceSummary()
      }
      activity.process(event.argv.length === 0 ? ran : event.argv)
    }
    const found = classifySpawn(ran, rules.programs)
    if (found === null) return
    report(`process-spawn ${found.entryId} ${basename(event.file)} ${found.severity}`, () => ({
      rule: 'process-spawn', severity: found.severity, action: 'reported',
      message: `${label} ${found.description}.`,
      evidence: { argv: event.argv.slice(0, 20), entry: found.entryId, ...facts(event) },
    }), event.errno === undefined)
  }

  /** The proxy itself, the capture's DNS stub and listeners, or a name that is loopback. */
  const viaProxy = (address: string, port: number): boolean =>
    ((address === '127.0.0.1' || address === 'localhost' || address === '::1') && (port === scope.proxyPort || (scope.network === 'namespace' && [53, 80, 443].includes(port))))
    || (scope.network === 'namespace' && /^127\.\d+\.\d+\.\d+$/.test(address) && (port === 80 || port === 443))

  const onSocket = (event: Extract<ObservedEvent, { kind: 'socket' }>): void => {
    if (event.family === 'unix') {
      const path = event.address
      if (!RUNTIME_NOISE.test(path)) activity.connection(`unix ${path}`)
      if (!HOST_SOCKET.test(path)) return
      report(`direct-connection unix ${path}`, () => ({
        rule: 'direct-connection', severity: 'error', action: event.errno === undefined ? 'reported' : 'blocked',
        message: `${label} tried to connect to the host socket ${path}, which hands out the user's access (container engine, session bus, ssh or gpg agent).`,
        evidence: { path, ...facts(event) },
      }))
      return
    }
    const { address: host, port } = event
    if (port === 0 || viaProxy(host, port)) return
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    activity.connection(`${event.protocol === 'udp' ? 'udp ' : ''}${shown}${event.errno === undefined ? '' : ` (${event.errno})`}`)
    const contained = scope.network === 'namespace'
    report(`direct-connection ${shown}`, () => ({
      rule: 'direct-connection', severity: 'error', action: contained || event.errno !== undefined ? 'blocked' : 'reported',
      message: `${label} opened a ${event.protocol === 'udp' ? 'UDP ' : ''}socket to ${shown} (${event.op}) instead of using the egress proxy; `
        + (contained ? 'its network namespace has no route there, so nothing left.'
          : 'without the network namespace nothing stopped it: treat what the hook could read as exposed.'),
      evidence: { address: host, port, family: event.family, protocol: event.protocol, ...facts(event) },
    }))
  }

  const onObserved = (event: ObservedEvent): void => {
    switch (event.kind) {
      case 'fork': {
        const parent = programs.get(event.pid)
        if (parent !== undefined) programs.set(event.child, parent)
        return
      }
      case 'process':
        if (!programs.has(event.pid)) programs.set(event.pid, event.argv)
        return
      case 'exec':
        onExec(event)
        return
      case 'path':
        onPath(event)
        return
      case 'socket':
        onSocket(event)
        return
      case 'memory':
        report(`credential-read ${event.op}`, () => ({
          rule: 'credential-read', severity: 'error', action: event.errno === undefined ? 'reported' : 'blocked',
          message: `${label} tried to read another process's memory (${event.op}${event.target === undefined ? '' : ` of pid ${event.target}`}).`,
          evidence: { ...(event.target === undefined ? {} : { target: event.target }), ...facts(event) },
        }))
        return
      case 'dns':
        // Names are judged where they are answered: the capture's DNS stub reports them to the proxy.
        activity.dns(event.name)
        return
    }
  }

  return {
    onEvent: (event) => {
      for (const observed of fromStrace(event, scope.cwd)) onObserved(observed)
    },
    onObserved,
    findings: () => [
      ...[...folded.values()].map(({ finding, count }) => (count === 1 ? finding : { ...finding, evidence: { ...finding.evidence, count } })),
      ...homeGrants.flatMap((grant) => {
        const written = [...(homeWrites.get(grant.real) ?? [])]
        return written.length === 0 ? [] : [homeWriteNote({ ...base, label }, grant, written)]
      }),
    ],
    summary: () => activity.summary(),
  }
}

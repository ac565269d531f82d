import { basename, isAbsolute, join, normalize } from 'node:path'
import type { Finding } from '../types.js'
import { classifyPath, loadPathRules, type PathRules } from './path-rules.js'
import { classifySpawn, identifyProgram, loadProgramRules, type ProgramRules } from './program-rules.js'
import { execArgv, opensForWrite, pathArgs, socketAddress, type StraceEvent, type TracedPath } from './strace-parser.js'

/**
 * Turns one hook's syscall trace into findings (rule ids of DESIGN.md), with the catalogues of
 * policies/ (path-rules.ts, program-rules.ts): credential reads (attempts and reads of the decoy's canaries too),
 * notable programs, sockets that bypass the proxy, persistence, tampering and other writes
 * outside the package. Duplicates are folded: one finding per rule and subject, with a count
 * and the first evidence. Pure apart from loading the catalogue.
 */

/** The syscalls the tracer asks strace for (what the rules below read). */
export const TRACED_SYSCALLS = [
  'open', 'openat', 'openat2', 'creat', 'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork',
  'connect', 'sendto', 'sendmsg',
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
  /** Other writable paths: policy grants, node-gyp's header cache. */
  readonly writable: readonly string[]
  /** The bridge's proxy port inside the namespace. */
  readonly proxyPort: number
}

export interface TraceCollector {
  readonly onEvent: (event: StraceEvent) => void
  readonly findings: () => Finding[]
}

const MAX_FINDINGS = 200

type Access = 'read' | 'write' | 'exec'

const ACCESS: Readonly<Record<string, Access>> = {
  creat: 'write', truncate: 'write', unlink: 'write', unlinkat: 'write', rename: 'write', renameat: 'write', renameat2: 'write',
  chmod: 'write', fchmodat: 'write', mkdir: 'write', mkdirat: 'write', rmdir: 'write', symlink: 'write', symlinkat: 'write', link: 'write', linkat: 'write',
  execve: 'exec', execveat: 'exec',
}

/** For link/symlink only the new name is written; the target is only named. */
const writtenPaths = (event: StraceEvent, paths: TracedPath[]): TracedPath[] =>
  ['symlink', 'symlinkat', 'link', 'linkat'].includes(event.syscall) ? paths.slice(-1) : paths

const dirOf = (dirfd: string | undefined): string | undefined => (dirfd === undefined ? undefined : /<([^>]*)>$/.exec(dirfd)?.[1])

export interface TraceRules {
  readonly paths: PathRules
  readonly programs: ProgramRules
}

/** The catalogues in policies/ (sensitive-paths.json, notable-programs.json), validated and compiled. */
export const loadTraceRules = (): TraceRules => ({ paths: loadPathRules(), programs: loadProgramRules() })

export const createTraceCollector = (scope: TraceScope, rules: TraceRules): TraceCollector => {
  const programs = new Map<number, readonly string[]>()
  const folded = new Map<string, { finding: Finding; count: number }>()
  const label = `${scope.event} of ${scope.pkg.name}${scope.pkg.version === '' ? '' : `@${scope.pkg.version}`}`
  const base = { package: { ...scope.pkg }, event: scope.event }

  const report = (key: string, make: () => Omit<Finding, 'package' | 'event'>): void => {
    const known = folded.get(key)
    if (known !== undefined) {
      known.count += 1
      return
    }
    if (folded.size >= MAX_FINDINGS) return
    folded.set(key, { finding: { ...base, ...make() }, count: 1 })
  }

  const facts = (event: StraceEvent): Record<string, unknown> => ({
    syscall: event.syscall, pid: event.pid, time: event.time,
    result: event.result.errno ?? event.result.value,
    ...(programs.has(event.pid) ? { program: programs.get(event.pid)?.slice(0, 6) } : {}),
  })

  const resolve = (tp: TracedPath): string => {
    if (isAbsolute(tp.path)) return normalize(tp.path)
    return normalize(join(tp.dir ?? dirOf(tp.dirfd) ?? scope.cwd, tp.path))
  }


  const onPath = (event: StraceEvent, path: string, access: Access | 'stat'): void => {
    const failed = event.result.errno !== undefined
    const argv = programs.get(event.pid)
    const found = classifyPath(access, path, {
      realHome: scope.realHome, decoyHome: scope.decoyHome, projectDir: scope.projectDir, packageDir: scope.packageDir,
      hookTmp: scope.hookTmp, writableGrants: scope.writable, pid: event.pid,
      ...(argv === undefined ? {} : { program: identifyProgram(argv, rules.programs) }),
    }, rules.paths)
    if (found === null) return
    const outcome = failed ? `; it failed (${event.result.errno ?? ''})` : ''
    const verb = found.rule === 'credential-read' ? (access === 'stat' ? 'looked for' : access === 'exec' ? 'ran' : 'read') : 'tried to write'
    report(`${found.rule} ${path}`, () => ({
      rule: found.rule, severity: found.severity, action: failed ? 'blocked' : 'reported',
      message: `${label} ${verb} ${path} (${found.description})`
        + (found.decoy && found.rule === 'credential-read' ? '; that is the sandbox\'s decoy with canary values, so this proves intent.' : `${outcome}.`),
      evidence: {
        path, entry: found.entryId, decoy: found.decoy, ...facts(event),
        ...(found.rule === 'write-outside-package' ? { fix: `if the package needs it, grant it: "packages": { "${scope.pkg.name}": { "write": ["${path}"] } }` } : {}),
      },
    }))
  }

  const onExec = (event: StraceEvent): void => {
    const argv = execArgv(event)
    const file = pathArgs(event)[0]?.path
    // What really ran is the file execve was given; argv[0] is the caller's to choose.
    const ran = file === undefined ? argv : [file, ...argv.slice(1)]
    if (event.result.value === 0) programs.set(event.pid, ran)
    const found = classifySpawn(ran, rules.programs)
    if (found === null) return
    report(`process-spawn ${found.entryId} ${basename(file ?? argv[0] ?? '')} ${found.severity}`, () => ({
      rule: 'process-spawn', severity: found.severity, action: 'reported',
      message: `${label} ${found.description}.`,
      evidence: { argv: argv.slice(0, 20), entry: found.entryId, ...facts(event) },
    }))
  }

  const onSocket = (event: StraceEvent): void => {
    const address = socketAddress(event)
    if (address === null) return
    if (address.family === 'unix') {
      const path = address.path ?? ''
      if (!/docker\.sock|podman\.sock|dbus|system_bus_socket|\/bus$|ssh-[^/]*\/agent|gnupg|S\.gpg-agent/.test(path)) return
      report(`direct-connection unix ${path}`, () => ({
        rule: 'direct-connection', severity: 'error', action: event.result.errno === undefined ? 'reported' : 'blocked',
        message: `${label} tried to connect to the host socket ${path}, which hands out the user's access (container engine, session bus, ssh or gpg agent).`,
        evidence: { path, ...facts(event) },
      }))
      return
    }
    if (address.family === 'other') return
    const host = address.address ?? ''
    const port = address.port ?? 0
    const viaProxy = (host === '127.0.0.1' && (port === scope.proxyPort || port === 53 || port === 80 || port === 443))
      || (/^127\.\d+\.\d+\.\d+$/.test(host) && (port === 80 || port === 443))
    if (viaProxy || port === 0) return
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    // Only namespaced hooks are traced: their network namespace has no route but the bridge.
    report(`direct-connection ${shown}`, () => ({
      rule: 'direct-connection', severity: 'error', action: 'blocked',
      message: `${label} opened a socket to ${shown} (${event.syscall}) instead of using the egress proxy; its network namespace has no route there, so nothing left.`,
      evidence: { address: host, port, family: address.family, ...facts(event) },
    }))
  }

  const onEvent = (event: StraceEvent): void => {
    switch (event.syscall) {
      case 'clone': case 'clone3': case 'fork': case 'vfork': {
        const child = event.result.value
        const parent = programs.get(event.pid)
        if (child !== null && child > 0 && parent !== undefined) programs.set(child, parent)
        return
      }
      case 'connect': case 'sendto': case 'sendmsg':
        onSocket(event)
        return
      case 'ptrace': case 'process_vm_readv':
        if (event.syscall === 'ptrace' && event.args[0]?.kind === 'raw' && event.args[0].text === 'PTRACE_TRACEME') return
        report(`credential-read ${event.syscall}`, () => ({
          rule: 'credential-read', severity: 'error', action: event.result.errno === undefined ? 'reported' : 'blocked',
          message: `${label} tried to read another process's memory (${event.syscall}).`,
          evidence: { ...facts(event) },
        }))
        return
      default:
        break
    }
    const paths = pathArgs(event)
    if (paths.length === 0) return
    const access: Access | 'stat' = ACCESS[event.syscall]
      ?? (['open', 'openat', 'openat2'].includes(event.syscall) ? (opensForWrite(event) ? 'write' : 'read') : 'stat')
    if (access === 'exec') {
      onExec(event)
      const file = paths[0]
      if (file !== undefined) onPath(event, resolve(file), 'exec')
      return
    }
    for (const tp of access === 'write' ? writtenPaths(event, paths) : paths) onPath(event, resolve(tp), access)
  }

  return {
    onEvent,
    findings: () => [...folded.values()].map(({ finding, count }) => (count === 1 ? finding : { ...finding, evidence: { ...finding.evidence, count } })),
  }
}

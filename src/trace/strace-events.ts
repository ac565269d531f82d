import { isAbsolute, join, normalize } from 'node:path'
import type { ObservedEvent } from './observed.js'
import { execArgv, opensForWrite, pathArgs, socketAddress, type StraceEvent, type TracedPath } from './strace-parser.js'

/**
 * One strace call as tracer-neutral events (observed.ts), pure. Relative paths are resolved
 * against the directory strace decoded for their dirfd (-y, which includes AT_FDCWD's), else
 * against `cwd`, the hook's working directory.
 */
export const fromStrace = (event: StraceEvent, cwd: string): ObservedEvent[] => {
  const base = {
    pid: event.pid, time: event.time, op: event.syscall,
    ...(event.result.errno === undefined ? {} : { errno: event.result.errno }),
  }
  switch (event.syscall) {
    case 'clone': case 'clone3': case 'fork': case 'vfork': {
      const child = event.result.value
      return child !== null && child > 0 ? [{ ...base, kind: 'fork', child }] : []
    }
    case 'connect': case 'sendto': case 'sendmsg': case 'bind': {
      const address = socketAddress(event)
      if (address === null || address.family === 'other') return []
      // A unix socket bound to a path creates that file.
      if (event.syscall === 'bind') {
        return address.family === 'unix' && address.path !== '' && !address.path.startsWith('@')
          ? [{ ...base, kind: 'path', access: 'write', path: resolve({ path: address.path, role: 'path' }, cwd) }] : []
      }
      if (address.family === 'unix') return [{ ...base, kind: 'socket', family: 'unix', protocol: 'unix', address: address.path, port: 0 }]
      return [{
        ...base, kind: 'socket', family: address.family === 'inet' ? 'ipv4' : 'ipv6',
        // A datagram names its destination with each send; connect does not say which socket type it is.
        protocol: event.syscall === 'connect' ? 'unknown' : 'udp', address: address.address, port: address.port,
      }]
    }
    case 'ptrace': {
      const request = event.args[0]
      if (request?.kind === 'raw' && request.text === 'PTRACE_TRACEME') return []
      return [{ ...base, kind: 'memory', ...targetOf(event.args[1]) }]
    }
    case 'process_vm_readv':
      return [{ ...base, kind: 'memory', ...targetOf(event.args[0]) }]
    default:
      break
  }
  const paths = pathArgs(event)
  if (paths.length === 0) return []
  const opens = ['open', 'openat', 'openat2'].includes(event.syscall)
  const access: 'read' | 'write' | 'stat' | 'exec' = ACCESS[event.syscall] ?? (opens ? (opensForWrite(event) ? 'write' : 'read') : 'stat')
  // A stat of a descriptor (AT_EMPTY_PATH: node follows every open with one) is not a second look.
  if (access === 'stat' && event.args.some((arg) => arg.kind === 'string' && arg.value === '')) return []
  if (access === 'exec') {
    const file = paths[0]
    if (file === undefined) return []
    const path = resolve(file, cwd)
    const argv = execArgv(event)
    return [{ ...base, kind: 'exec', file: path, argv }, { ...base, kind: 'path', access: 'exec', path }]
  }
  const named: ObservedEvent[] = (access === 'write' ? writtenPaths(event, paths) : paths)
    .map((tp) => ({ ...base, kind: 'path', access, path: resolve(tp, cwd) }))
  // What the descriptor really is (-y): a symlink in the package, or /proc/self/root/..., read through to its target.
  const real = opens ? event.result.path : undefined
  return real === undefined || !isAbsolute(real) || named.some((e) => e.kind === 'path' && e.path === real) ? named : [...named, { ...base, kind: 'path', access, path: real }]
}

const ACCESS: Readonly<Record<string, 'write' | 'exec'>> = {
  creat: 'write', truncate: 'write', unlink: 'write', unlinkat: 'write', rename: 'write', renameat: 'write', renameat2: 'write',
  chmod: 'write', fchmodat: 'write', mkdir: 'write', mkdirat: 'write', rmdir: 'write', symlink: 'write', symlinkat: 'write', link: 'write', linkat: 'write',
  execve: 'exec', execveat: 'exec',
}

/** For link/symlink only the new name is written; the target is only named. */
const writtenPaths = (event: StraceEvent, paths: TracedPath[]): TracedPath[] =>
  ['symlink', 'symlinkat', 'link', 'linkat'].includes(event.syscall) ? paths.slice(-1) : paths

const dirOf = (dirfd: string | undefined): string | undefined => (dirfd === undefined ? undefined : /<([^>]*)>$/.exec(dirfd)?.[1])

const resolve = (tp: TracedPath, cwd: string): string =>
  normalize(isAbsolute(tp.path) ? tp.path : join(tp.dir ?? dirOf(tp.dirfd) ?? cwd, tp.path))

const targetOf = (arg: StraceEvent['args'][number] | undefined): { target?: number } => {
  const text = arg?.kind === 'raw' ? arg.text : ''
  return /^\d+$/.test(text) ? { target: Number(text) } : {}
}

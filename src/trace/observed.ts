/**
 * What a tracer saw a hook do, independent of the tracer: the strace parser's syscalls and the
 * Node preload observer's API calls (libexec/observer.cjs) both become these events, which the
 * collector (collector.ts) turns into findings.
 */

interface Base {
  /** The process that did it. */
  readonly pid: number
  /** Seconds since the epoch. */
  readonly time: number
  /** What was called: a syscall (`openat`) or an API (`fs.readFileSync`). */
  readonly op: string
  /** Set when the call failed: `ENOENT`, `EACCES`, `EROFS`, ... */
  readonly errno?: string
}

export type ObservedEvent =
  /** A path opened, looked at, written (created, renamed, removed, chmod-ed, linked) or executed. */
  | (Base & { readonly kind: 'path'; readonly access: 'read' | 'write' | 'stat' | 'exec'; readonly path: string })
  /** A program started: the file that ran and its argv. */
  | (Base & { readonly kind: 'exec'; readonly file: string; readonly argv: readonly string[] })
  /**
   * A connection or datagram. `host` is a name the caller passed before any DNS lookup (the
   * preload observer sees `net.connect('example.com', 443)`); strace always sees an address.
   */
  | (Base & {
    readonly kind: 'socket'
    readonly family: 'ipv4' | 'ipv6' | 'unix' | 'host'
    /** strace sees the call, not the socket type: `unknown` for its connect. */
    readonly protocol: 'tcp' | 'udp' | 'unix' | 'unknown'
    /** The address, host name or unix socket path. */
    readonly address: string
    readonly port: number
  })
  /** A name looked up through the resolver API (the preload observer only; strace sees the socket). */
  | (Base & { readonly kind: 'dns'; readonly name: string })
  /** A process began: its parent, argv and working directory (the preload observer, once per node process). */
  | (Base & { readonly kind: 'process'; readonly ppid: number; readonly argv: readonly string[]; readonly cwd: string })
  /** A process forked `child` (strace); the child runs the parent's program until it execs. */
  | (Base & { readonly kind: 'fork'; readonly child: number })
  /** Another process's memory read or attached to (ptrace, process_vm_readv). */
  | (Base & { readonly kind: 'memory'; readonly target?: number })

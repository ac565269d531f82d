import { closeSync, constants, openSync } from 'node:fs'
import { Socket } from 'node:net'
import { execa } from 'execa'
import { findLeftovers, killAll } from './process-sweep.js'
import { OutputTail } from './output-tail.js'
import type { Invocation } from './spec.js'
import type { EscapedProcess } from '../types.js'

export interface RunLimits {
  readonly timeoutMs: number
  readonly outputLimit: number
  /** Time between SIGTERM and SIGKILL on timeout. */
  readonly killGraceMs: number
  readonly marker: string
  /** Look for leftovers by group/session/marker (the none backend); namespaces report their own. */
  readonly sweep: boolean
  /** Told the process-group leader's pid at spawn and at exit, so an interrupt can kill live hooks. */
  readonly track?: { readonly add: (pid: number) => void; readonly remove: (pid: number) => void }
  /** Called with every output chunk as it arrives (for the project's own scripts, shown live like npm). */
  readonly echo?: (chunk: Buffer) => void
  /**
   * When set, the process gets the write end of a FIFO (at `fifo`, in a directory the hook cannot
   * see) as fd 3, for the tracer's output; every chunk read from it goes to `sink`. A FIFO, not
   * the socketpair node uses for stdio: strace reopens /dev/fd/3, which a socket refuses.
   */
  readonly trace?: { readonly fifo: string; readonly sink: (chunk: Buffer) => void }
}

export interface ProcessResult {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly timedOut: boolean
  readonly durationMs: number
  readonly output: string
  readonly escaped: readonly EscapedProcess[]
  readonly spawnError?: string
}

/**
 * Run one invocation in its own session and process group; the only module that starts
 * install-time code. On timeout the whole group gets SIGTERM then SIGKILL; when the hook ends,
 * anything it left running (group, session, or marker in its env) is killed and reported.
 */
export const runInvocation = async (invocation: Invocation, limits: RunLimits): Promise<ProcessResult> => {
  const started = performance.now()
  const tail = new OutputTail(limits.outputLimit)
  const fifo = limits.trace === undefined ? undefined : await openTraceFifo(limits.trace.fifo)
  const child = execa(invocation.file, [...invocation.args], {
    cwd: invocation.cwd,
    env: invocation.env,
    extendEnv: false,
    detached: true,
    cleanup: true,
    // execa passes a file descriptor number through to the child as is.
    stdio: (fifo === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', fifo.writeFd]) as ['ignore', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    windowsHide: true,
  })
  const take = (chunk: Buffer): void => {
    tail.push(chunk)
    limits.echo?.(chunk)
  }
  child.stdout?.on('data', take)
  child.stderr?.on('data', take)
  // Our copy of the write end goes: the end of file then comes when the sandbox's copies close.
  if (fifo !== undefined) closeSync(fifo.writeFd)
  const traceStream = fifo?.reader
  const traced = traceStream === undefined ? Promise.resolve() : new Promise<void>((resolve) => {
    traceStream.on('data', (chunk: Buffer) => limits.trace?.sink(chunk))
    traceStream.once('close', () => resolve())
    traceStream.once('error', () => resolve())
  })
  const leader = child.pid
  if (leader !== undefined) limits.track?.add(leader)

  let timedOut = false
  const timers: NodeJS.Timeout[] = []
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.once('error', () => resolve({ code: null, signal: null }))
  })
  timers.push(setTimeout(() => {
    timedOut = true
    if (leader !== undefined) signalGroup(leader, 'SIGTERM')
    timers.push(setTimeout(() => leader !== undefined && signalGroup(leader, 'SIGKILL'), limits.killGraceMs))
  }, limits.timeoutMs))

  const { code, signal } = await exited
  let escaped: EscapedProcess[] = []
  if (leader !== undefined) {
    const leftovers = limits.sweep ? findLeftovers(leader, limits.marker) : []
    killAll(leader, leftovers)
    if (!timedOut) escaped = leftovers
    limits.track?.remove(leader)
  }
  const settled = await Promise.race([Promise.all([child, traced]).then(([result]) => result), delay(2000).then(() => undefined)])
  for (const timer of timers) clearTimeout(timer)
  if (settled === undefined) {
    child.stdout?.destroy()
    child.stderr?.destroy()
    traceStream?.destroy()
  }
  const spawnError = settled?.failed === true && settled.exitCode === undefined && settled.signal === undefined
    ? settled.shortMessage
    : undefined
  return {
    exitCode: code,
    signal,
    timedOut,
    durationMs: Math.round(performance.now() - started),
    output: tail.text(),
    escaped,
    ...(spawnError === undefined ? {} : { spawnError }),
  }
}

const signalGroup = (leader: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-leader, signal)
  } catch {
    // group already gone
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref())

/** A FIFO for the tracer: our reading end (non-blocking, as a stream) and a blocking write end for the child. */
const openTraceFifo = async (path: string): Promise<{ readonly reader: Socket; readonly writeFd: number }> => {
  await execa('mkfifo', ['-m', '600', path])
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const writeFd = openSync(path, constants.O_WRONLY)
  return { reader: new Socket({ fd: readFd, readable: true, writable: false }), writeFd }
}

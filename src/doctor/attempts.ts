import { existsSync, readlinkSync, statSync } from 'node:fs'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { execa } from 'execa'
import { findOnPath } from '../sandbox/backends/probe.js'
import { OBSERVER_ENV, observerNodeOptions } from '../trace/observer-log.js'
import {
  mountAttemptCommand, mountResult, netAttemptCommand, parseNetOutput, parsePidOutput, pidAttemptCommand, usernsAttemptCommand,
  type AttemptCommand,
} from './attempt-argv.js'
import type { Attempt, BinaryInfo, MountAttempt, NamespaceTool, NetAttempt, PidAttempt } from './types.js'

type Env = Readonly<Record<string, string | undefined>>

const TIMEOUT_MS = 10_000

/** The PATH the probes use for sbin tools (ip, mount, pivot_root). */
const sbinPath = (env: Env): string => `/usr/sbin${delimiter}/sbin${delimiter}${env['PATH'] ?? ''}${delimiter}/usr/bin${delimiter}/bin`

const run = (command: AttemptCommand, env: Env) =>
  execa(command.file, [...command.args], { reject: false, timeout: TIMEOUT_MS, extendEnv: false, env: { PATH: sbinPath(env) }, stdin: 'ignore' })

const firstLine = (text: string): string => text.trim().split('\n').find((line) => line.trim() !== '')?.trim() ?? ''

const failure = (result: { readonly exitCode?: number | undefined; readonly timedOut: boolean; readonly stderr: unknown }): string =>
  result.timedOut ? `timed out after ${TIMEOUT_MS / 1000}s` : firstLine(String(result.stderr)) || `exit code ${result.exitCode ?? 'unknown'}`

/**
 * A binary the way the probe finds it: the override variable when set (a missing file disables the
 * layer, as in an install), else PATH. Version from its own flag; setuid from its mode.
 */
export const findBinary = async (env: Env, name: string, override: string, versionArgs: readonly string[]): Promise<BinaryInfo> => {
  const chosen = env[override]
  const path = chosen ?? findOnPath(name, env['PATH'])
  const overridden = chosen === undefined ? null : override
  if (path === undefined || !existsSync(path)) {
    return { kind: 'absent', override: overridden, onPath: chosen === undefined ? null : findOnPath(name, env['PATH']) ?? null }
  }
  const result = await execa(path, [...versionArgs], { reject: false, timeout: TIMEOUT_MS, extendEnv: false, env: { PATH: '/usr/bin:/bin' }, stdin: 'ignore' })
  const version = result.exitCode === 0 ? firstLine(String(result.stdout)) || null : null
  let setuid = false
  try {
    const stat = statSync(path)
    setuid = (stat.mode & 0o4000) !== 0 && stat.uid === 0
  } catch {
    setuid = false
  }
  return { kind: 'found', path, version, setuid, override: overridden }
}

/** Create a user namespace with the caller as its root (util-linux unshare, else bubblewrap). */
export const tryUserns = async (env: Env, unshare: BinaryInfo, bwrap: BinaryInfo): Promise<Attempt<{ readonly via: string }>> => {
  const tool: NamespaceTool | undefined = unshare.kind === 'found' ? { kind: 'unshare', path: unshare.path, user: true }
    : bwrap.kind === 'found' ? { kind: 'bwrap', path: bwrap.path } : undefined
  if (tool === undefined) return { kind: 'not-tried', why: 'neither util-linux unshare nor bubblewrap is installed' }
  const result = await run(usernsAttemptCommand(tool), env)
  const via = tool.kind === 'unshare' ? 'unshare --user --map-root-user' : 'bwrap --unshare-user'
  return result.exitCode === 0 ? { kind: 'ok', value: { via } } : { kind: 'failed', error: failure(result) }
}

export const tryNetns = async (env: Env, tool: NamespaceTool, node: string): Promise<Attempt<NetAttempt>> => {
  const result = await run(netAttemptCommand(tool, node), env)
  if (result.exitCode !== 0) return { kind: 'failed', error: failure(result) }
  const value = parseNetOutput(String(result.stdout))
  return value === undefined ? { kind: 'failed', error: `unexpected output: ${firstLine(String(result.stdout))}` } : { kind: 'ok', value }
}

/** `scratch` is an empty directory of ours; the tmpfs goes over a fresh directory inside it. */
export const tryMountns = async (env: Env, tool: NamespaceTool, scratch: string): Promise<Attempt<MountAttempt>> => {
  const target = join(scratch, 'mount')
  await mkdir(target, { recursive: true })
  const result = await run(mountAttemptCommand(tool, target), env)
  if (result.exitCode !== 0) return { kind: 'failed', error: failure(result) }
  const leaked = (await readdir(target)).includes('marker')
  return { kind: 'ok', value: mountResult(leaked) }
}

export const tryPidns = async (env: Env, tool: NamespaceTool): Promise<Attempt<PidAttempt>> => {
  let host: string | undefined
  try {
    host = readlinkSync('/proc/self/ns/pid')
  } catch {
    host = undefined
  }
  const result = await run(pidAttemptCommand(tool), env)
  if (result.exitCode !== 0) return { kind: 'failed', error: failure(result) }
  const value = parsePidOutput(String(result.stdout), host)
  return value === undefined ? { kind: 'failed', error: `unexpected output: ${firstLine(String(result.stdout))}` } : { kind: 'ok', value }
}

/**
 * Run node with the preload observer, as a hook's node would be, and check that it recorded a
 * stat of a path of ours.
 */
export const tryPreload = async (options: { readonly observer: string; readonly node: string; readonly scratch: string }): Promise<Attempt<{ readonly recorded: boolean }>> => {
  const log = join(options.scratch, 'observed.jsonl')
  const target = join(options.scratch, 'preload-target')
  const result = await execa(options.node, ['-e', 'try { require("fs").statSync(process.argv[1]) } catch {}', target], {
    reject: false, timeout: TIMEOUT_MS, extendEnv: false, stdin: 'ignore',
    env: { PATH: '/usr/bin:/bin', NODE_OPTIONS: observerNodeOptions(undefined, options.observer), [OBSERVER_ENV]: log },
  })
  if (result.exitCode !== 0) return { kind: 'failed', error: failure(result) }
  const text = await readFile(log, 'utf8').catch(() => '')
  const recorded = text.split('\n').some((line) => {
    try {
      const event = JSON.parse(line) as { kind?: unknown; path?: unknown }
      return event.kind === 'path' && event.path === target
    } catch {
      return false
    }
  })
  return { kind: 'ok', value: { recorded } }
}

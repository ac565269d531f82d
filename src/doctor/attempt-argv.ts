import type { MountAttempt, NamespaceTool, NetAttempt, PidAttempt } from './types.js'

/** A command to run: never a joined shell string (scripts are fixed text; paths travel as arguments). */
export interface AttemptCommand { readonly file: string; readonly args: readonly string[] }

/**
 * Run inside a network namespace by node: the interfaces the namespace shows (/proc/self/net/dev
 * follows the caller's namespace) and whether a 127.0.0.1 listener there can be reached, which the
 * bridge to the egress proxy needs. Prints one JSON line.
 */
const NET_SCRIPT = [
  "const fs=require('fs'),net=require('net');",
  "const interfaces=fs.readFileSync('/proc/self/net/dev','utf8').split('\\n').slice(2).map((l)=>l.split(':')[0].trim()).filter(Boolean);",
  'const done=(loopback)=>{process.stdout.write(JSON.stringify({interfaces,loopback}));process.exit(0)};',
  'setTimeout(()=>done(false),3000);',
  "const server=net.createServer((c)=>c.end('ok')).on('error',()=>done(false));",
  "server.listen(0,'127.0.0.1',()=>{let got='';net.connect(server.address().port,'127.0.0.1').on('data',(d)=>{got+=d}).on('end',()=>done(got==='ok')).on('error',()=>done(false))});",
].join('')

/** The pid namespace this shell is in, and how many processes its /proc shows. */
const PID_SCRIPT = "readlink /proc/self/ns/pid; ls /proc | grep -c '^[0-9][0-9]*$'"

/** Writes a marker into the tmpfs the launcher mounted on the scratch directory ($0). */
const MOUNT_WRITE = 'echo probe > "$0/marker"'

const BWRAP_BASE = ['--die-with-parent', '--unshare-user-try', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'] as const

const unshareBase = (tool: Extract<NamespaceTool, { kind: 'unshare' }>): string[] => (tool.user ? ['--user', '--map-root-user'] : [])

/** A network namespace with loopback, the way the launcher sets one up for a hook (pure). */
export const netAttemptCommand = (tool: NamespaceTool, node: string): AttemptCommand =>
  tool.kind === 'bwrap'
    ? { file: tool.path, args: [...BWRAP_BASE, '--unshare-net', '--', node, '-e', NET_SCRIPT] }
    : { file: tool.path, args: [...unshareBase(tool), '--net', '--', '/bin/sh', '-c', 'ip link set lo up && exec "$0" -e "$1"', node, NET_SCRIPT] }

/** A mount namespace: a tmpfs on `scratch` that must not show on the host afterwards (pure). */
export const mountAttemptCommand = (tool: NamespaceTool, scratch: string): AttemptCommand =>
  tool.kind === 'bwrap'
    ? { file: tool.path, args: [...BWRAP_BASE, '--tmpfs', scratch, '--', '/bin/sh', '-c', MOUNT_WRITE, scratch] }
    : { file: tool.path, args: [...unshareBase(tool), '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', `mount -t tmpfs doctor "$0" && ${MOUNT_WRITE}`, scratch] }

/** A pid namespace with its own /proc (pure). */
export const pidAttemptCommand = (tool: NamespaceTool): AttemptCommand =>
  tool.kind === 'bwrap'
    ? { file: tool.path, args: [...BWRAP_BASE, '--unshare-pid', '--', '/bin/sh', '-c', PID_SCRIPT] }
    : { file: tool.path, args: [...unshareBase(tool), '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', '--', '/bin/sh', '-c', PID_SCRIPT] }

/** A user namespace with the caller as its root: what an unprivileged launcher needs first (pure). */
export const usernsAttemptCommand = (tool: NamespaceTool): AttemptCommand =>
  tool.kind === 'bwrap'
    ? { file: tool.path, args: ['--unshare-user', '--ro-bind', '/', '/', '--', '/bin/sh', '-c', 'true'] }
    : { file: tool.path, args: ['--user', '--map-root-user', '--', '/bin/sh', '-c', 'true'] }

/** The net attempt's output; undefined when it is not what the script prints. */
export const parseNetOutput = (stdout: string): NetAttempt | undefined => {
  try {
    const value = JSON.parse(stdout.trim()) as unknown
    if (typeof value !== 'object' || value === null) return undefined
    const { interfaces, loopback } = value as Record<string, unknown>
    if (!Array.isArray(interfaces) || !interfaces.every((name) => typeof name === 'string') || typeof loopback !== 'boolean') return undefined
    return { interfaces, loopback }
  } catch {
    return undefined
  }
}

/** The pid attempt's output, compared with the caller's own pid namespace link. */
export const parsePidOutput = (stdout: string, hostNamespace: string | undefined): PidAttempt | undefined => {
  const [link, count] = stdout.trim().split('\n').map((line) => line.trim())
  if (link === undefined || count === undefined || !/^pid:\[\d+\]$/.test(link) || !/^\d+$/.test(count)) return undefined
  return { newNamespace: hostNamespace !== undefined && link !== hostNamespace, visibleProcesses: Number(count) }
}

/** The mount attempt is private when the marker written inside did not reach the host's directory. */
export const mountResult = (markerOnHost: boolean): MountAttempt => ({ private: !markerOnHost })

import { chmod } from 'node:fs/promises'
import { lookup } from 'node:dns/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { SafeInstallError } from '../errors.js'
import type { EgressEvent, Finding } from '../types.js'
import { DNS_LOG_PATH } from '../sandbox/capture/protocol.js'
import { handleConnect } from './connect-tunnel.js'
import { handleDnsLog } from './dns-log.js'
import type { ProxyContext, ResolveHost } from './context.js'
import type { EgressAttribution } from './egress-report.js'
import { handleHttpRequest } from './forward-http.js'
import { parseGrants } from './host-rules.js'
import { answerUnauthorized, createProxyAuth } from './proxy-auth.js'
import { answerResponse, answerSocket } from './request-head.js'
import { compileNeedles, type SecretNeedle } from './secret-scan.js'
import { handleUpgrade } from './upgrade.js'
import { parseUpstream } from './upstream.js'

export type EgressListen =
  | { readonly kind: 'unix'; readonly path: string }
  /** `credentials` is the `user:password` a client puts in its proxy URL (sent as Basic auth); random per hook. */
  | { readonly kind: 'tcp'; readonly host: '127.0.0.1'; readonly credentials: string }

export type EgressAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: '127.0.0.1'; readonly port: number }

export interface EgressProxyOptions {
  readonly listen: EgressListen
  /** The hook on the other side of this listener: one proxy per hook, never taken from a request. */
  readonly attribution: EgressAttribution
  /** Network grants for this hook (policy-wide plus the package's), as in safe-install.policy.json. */
  readonly grants: readonly string[]
  /**
   * `report` (--mode report): a host refused only for want of a grant is let through and recorded as
   * `egress-unexpected`, for `policy learn`. Metadata, loopback, private and other non-public
   * addresses, indicators of compromise and secrets are refused in both modes. Default `enforce`.
   */
  readonly mode?: 'enforce' | 'report'
  /** The user's own proxy; allowed traffic is chained through it (http:// only). */
  readonly upstream?: { readonly url: string } | undefined
  /** Canaries and real secret values that must never leave. */
  readonly secrets: readonly SecretNeedle[]
  /**
   * Hosts that are refused whatever the grants say, with why: indicators of compromise of the
   * imported malicious-package database (host → record id). A name also covers its subdomains.
   */
  readonly denied?: ReadonlyMap<string, string> | undefined
  readonly onEvent: (event: EgressEvent) => void
  readonly onFinding: (finding: Finding) => void
  /** Name resolution (default: the system resolver, every address). */
  readonly resolve?: ResolveHost
  readonly connectTimeoutMs?: number
}

export interface EgressProxy {
  address(): EgressAddress
  /** Stop listening, end every connection, wait for every event; rejects if a handler or callback threw. */
  close(): Promise<void>
}

const systemResolve: ResolveHost = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)

/**
 * Start the egress proxy of one hook: the only way out of its sandbox. Plain HTTP (absolute URI)
 * and CONNECT tunnels (no TLS interception), each decided by the grants, each reported as one
 * EgressEvent when it ends; refusals also as findings. Invalid grants refuse to start (fail closed).
 */
export const startEgressProxy = async (options: EgressProxyOptions): Promise<EgressProxy> => {
  const parsed = parseGrants(options.grants)
  if (parsed.invalid.length > 0) {
    throw new SafeInstallError('EPOLICY', `${parsed.invalid.join('; ')} (for ${options.attribution.package.name})`,
      'fix the "network" entries in safe-install.policy.json: host, host:port, *.suffix or an IP address')
  }
  const sockets = new Set<Socket>()
  const failures: unknown[] = []
  let inFlight = 0
  let closing = false
  let idle: (() => void) | null = null
  const guard = <T>(fn: (value: T) => void) => (value: T): void => {
    try {
      fn(value)
    } catch (error) {
      failures.push(error)
    }
  }
  const adopt = (socket: Socket): void => {
    if (sockets.has(socket)) return
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    if (closing) socket.destroy()
  }
  const ctx: ProxyContext = {
    attribution: options.attribution,
    grants: parsed.grants,
    mode: options.mode ?? 'enforce',
    denied: options.denied ?? new Map(),
    upstream: options.upstream === undefined ? null : parseUpstream(options.upstream.url),
    needles: compileNeedles(options.secrets),
    resolve: options.resolve ?? systemResolve,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    adopt,
    begin: () => {
      inFlight += 1
      return () => {
        inFlight -= 1
        if (inFlight === 0) idle?.()
      }
    },
    emitEvent: guard(options.onEvent),
    emitFinding: guard(options.onFinding),
  }
  const authorized = createProxyAuth(options.listen.kind === 'tcp' ? options.listen.credentials : null)
  const run = (work: Promise<void>, socket: Socket): void => {
    work.catch((error: unknown) => {
      failures.push(error)
      socket.destroy()
    })
  }
  const server = createServer({ requireHostHeader: false })
  server.on('connection', (socket: Socket) => adopt(socket))
  const dnsSeen = new Set<string>()
  server.on('request', (req: IncomingMessage, res) => {
    // The namespace bridge's DNS stub reports the hook's queries here (unix listener only: the stub exists only in the namespace).
    if (options.listen.kind === 'unix' && req.method === 'POST' && req.url === DNS_LOG_PATH) run(handleDnsLog(ctx, dnsSeen, req, res), req.socket)
    else if (!authorized(req)) answerResponse(req, res, 407, 'proxy credentials missing or wrong', { 'proxy-authenticate': 'Basic realm="safe-install"' })
    else run(handleHttpRequest(ctx, req, res), req.socket)
  })
  const raw = (handle: typeof handleConnect) => (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    adopt(socket)
    if (!authorized(req)) answerUnauthorized(socket)
    else run(handle(ctx, req, socket, head), socket)
  }
  server.on('connect', raw(handleConnect))
  server.on('upgrade', raw(handleUpgrade))
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) socket.destroy()
    else answerSocket(socket, 400, 'malformed request')
  })

  const { listen } = options
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (listen.kind === 'unix') server.listen(listen.path, resolve)
    else server.listen(0, listen.host, resolve)
  })
  if (listen.kind === 'unix') {
    try {
      await chmod(listen.path, 0o600)
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      throw error
    }
  }
  const bound = server.address()
  const address: EgressAddress = listen.kind === 'unix'
    ? { kind: 'unix', path: listen.path }
    : { kind: 'tcp', host: '127.0.0.1', port: bound !== null && typeof bound === 'object' ? bound.port : 0 }

  let closed: Promise<void> | null = null
  const close = async (): Promise<void> => {
    closing = true
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await Promise.all([stopped, inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { idle = resolve })])
    if (failures.length > 0) throw new Error('egress proxy: a handler or callback failed', { cause: failures[0] })
  }
  return { address: () => address, close: () => (closed ??= close()) }
}

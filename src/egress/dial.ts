import { connect, type Socket } from 'node:net'
import type { ProxyContext } from './context.js'
import type { EgressDecision } from './host-rules.js'
import { deniedAddress } from './denied-hosts.js'
import { decideResolved, type AllowDecision } from './resolved-rules.js'
import { requestUpstreamTunnel } from './upstream.js'

export type DialResult =
  | { readonly kind: 'connected'; readonly socket: Socket; readonly head: Buffer }
  | { readonly kind: 'denied'; readonly denial: Extract<EgressDecision, { kind: 'deny' }> }
  | { readonly kind: 'failed'; readonly reason: string }

/** `host:port`, IPv6 in brackets, the port left out when it is the scheme's default. */
export const formatAuthority = (host: string, port: number, defaultPort?: number): string => {
  const shown = host.includes(':') ? `[${host}]` : host
  return port === defaultPort ? shown : `${shown}:${port}`
}

const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message

const connectTcp = (ctx: ProxyContext, host: string, port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    ctx.adopt(socket)
    const onError = (error: Error): void => {
      clearTimeout(timer)
      reject(error)
    }
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }))
    }, ctx.connectTimeoutMs)
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      resolve(socket)
    })
  })

/**
 * Open the connection an allowed decision permits. Without an upstream proxy, a name is resolved
 * here and its addresses checked (DNS rebinding), then the checked address is dialled. With one,
 * `tunnel` asks it for a CONNECT tunnel and `forward` returns a plain connection to it (for
 * absolute-URI HTTP); the upstream resolves names.
 */
export const dial = async (ctx: ProxyContext, allowed: AllowDecision, port: number, mode: 'tunnel' | 'forward'): Promise<DialResult> => {
  const authority = formatAuthority(allowed.host, port)
  const { upstream } = ctx
  if (upstream !== null) {
    let socket: Socket
    try {
      socket = await connectTcp(ctx, upstream.host, upstream.port)
    } catch (error) {
      return { kind: 'failed', reason: `cannot reach the upstream proxy ${upstream.display} (${codeOf(error)})` }
    }
    if (mode === 'forward') return { kind: 'connected', socket, head: Buffer.alloc(0) }
    const tunnel = await requestUpstreamTunnel(socket, upstream, authority, ctx.connectTimeoutMs)
    return tunnel.kind === 'ok' ? { kind: 'connected', socket, head: tunnel.head } : tunnel
  }
  let address = allowed.host
  if (allowed.target === 'name') {
    let addresses: readonly string[]
    try {
      addresses = await ctx.resolve(allowed.host)
    } catch (error) {
      return { kind: 'failed', reason: `cannot resolve ${allowed.host} (${codeOf(error)})` }
    }
    const ioc = addresses.map((text) => ({ text, why: deniedAddress(ctx.denied, text) })).find((hit) => hit.why !== undefined)
    if (ioc !== undefined) {
      return { kind: 'denied', denial: { kind: 'deny', reason: `${allowed.host} resolves to ${ioc.text}, a known indicator of compromise (${ioc.why ?? ''}); refused whatever the grants say`, category: 'indicator', host: allowed.host } }
    }
    const checked = decideResolved(allowed, port, addresses, ctx.grants)
    if (checked.kind === 'deny') return { kind: 'denied', denial: checked }
    address = checked.address
  }
  try {
    return { kind: 'connected', socket: await connectTcp(ctx, address, port), head: Buffer.alloc(0) }
  } catch (error) {
    return { kind: 'failed', reason: `cannot reach ${authority} (${codeOf(error)})` }
  }
}

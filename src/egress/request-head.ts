/** Reading and answering proxy requests: targets, headers to forward, what to scan, raw answers. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { printableHost } from './host-rules.js'
import { scanForSecrets, type CompiledNeedles } from './secret-scan.js'
import type { SecretLocation } from './egress-report.js'

/** Never forwarded: hop-by-hop headers (RFC 9110 §7.6.1) and our own proxy credentials. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host',
])

/** Raw header pairs without hop-by-hop ones (and those the Connection header names), flattened. */
export const forwardableHeaders = (rawHeaders: readonly string[], keep: readonly string[] = []): string[] => {
  const named = new Set<string>()
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'connection') {
      for (const token of (rawHeaders[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase())
    }
  }
  const out: string[] = []
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? ''
    const lower = name.toLowerCase()
    if (keep.includes(lower) || (!HOP_BY_HOP.has(lower) && !named.has(lower))) out.push(name, rawHeaders[i + 1] ?? '')
  }
  return out
}

/**
 * Secrets in what would be forwarded of a request head: the request line, then the headers
 * (our own Proxy-Authorization is dropped before forwarding, so it is not scanned).
 */
export const headSecrets = (req: IncomingMessage, needles: CompiledNeedles): { names: string[]; where: SecretLocation } => {
  const line = scanForSecrets(`${req.method ?? ''} ${req.url ?? ''}`, needles)
  if (line.length > 0) return { names: line, where: 'request line' }
  const pairs: string[] = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() !== 'proxy-authorization') pairs.push(`${req.rawHeaders[i] ?? ''}: ${req.rawHeaders[i + 1] ?? ''}`)
  }
  return { names: scanForSecrets(pairs.join('\r\n'), needles), where: 'headers' }
}

export type ProxyTarget =
  | { readonly kind: 'ok'; readonly host: string; readonly port: number; readonly path: string }
  | { readonly kind: 'bad'; readonly reason: string }

/** The target of a plain-HTTP proxy request: an absolute `http://` URI (RFC 9112 absolute-form). */
export const parseAbsoluteTarget = (url: string | undefined): ProxyTarget => {
  const text = url ?? ''
  if (text.startsWith('/')) return { kind: 'bad', reason: 'not a proxy request: an absolute http:// URI or CONNECT is expected' }
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return { kind: 'bad', reason: `malformed request target "${printableHost(text.slice(0, 100))}"` }
  }
  if (parsed.protocol === 'https:') return { kind: 'bad', reason: 'https:// must go through CONNECT' }
  if (parsed.protocol !== 'http:') return { kind: 'bad', reason: `unsupported scheme ${printableHost(parsed.protocol.slice(0, 20))}` }
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  return { kind: 'ok', host, port: parsed.port === '' ? 80 : Number(parsed.port), path: `${parsed.pathname}${parsed.search}` }
}

/** `host:port` of a CONNECT request; IPv6 must be bracketed; the port is required. */
export const parseConnectTarget = (text: string | undefined): { host: string; port: number } | null => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+)):(\d{1,5})$/.exec(text ?? '')
  if (match === null) return null
  const port = Number(match[3])
  return port >= 1 && port <= 65535 ? { host: match[1] ?? match[2] ?? '', port } : null
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 407: 'Proxy Authentication Required', 502: 'Bad Gateway',
}

/** A one-line `safe-install: <reason>` answer on a raw socket (CONNECT, upgrade), then close. */
export const answerSocket = (socket: Socket, status: number, reason: string, extra: readonly string[] = []): void => {
  const body = `safe-install: ${reason}\n`
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end([
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`, ...extra, 'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body,
  ].join('\r\n'), () => socket.destroy())
}

/**
 * The same answer on an HTTP response, given once the request body has been read (and
 * discarded): Node closes a connection whose request is unfinished, and a client still uploading
 * would then see a reset instead of the reason.
 */
export const answerResponse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string, extra: Record<string, string> = {}): void => {
  const answer = (): void => {
    if (res.headersSent || res.destroyed) {
      res.destroy()
      return
    }
    const body = `safe-install: ${reason}\n`
    res.writeHead(status, { ...extra, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  if (req.complete) {
    answer()
    return
  }
  req.once('end', answer)
  req.once('error', () => res.destroy())
  req.resume()
}

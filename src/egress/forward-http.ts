import { once } from 'node:events'
import { request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { assess, shownPath } from './assess.js'
import { openRecord, type AttemptRecord, type ProxyContext } from './context.js'
import { dial, formatAuthority } from './dial.js'
import { buildUnexpectedFinding, type EgressAttempt } from './egress-report.js'
import { refuse } from './refuse.js'
import { answerResponse, forwardableHeaders, parseAbsoluteTarget } from './request-head.js'
import { createSecretStream } from './secret-scan.js'

/**
 * A plain-HTTP proxy request (absolute URI). Decided on the URI's host; the request line and
 * headers are scanned before anything is sent, the body while it streams: bytes are held back
 * until no secret form can still complete in them, so a refused request never delivered the
 * secret. The Host header is rewritten to the URI's authority (no fronting to another virtual
 * host); hop-by-hop headers and our Proxy-Authorization are dropped. Bytes are body bytes.
 */
export const handleHttpRequest = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const target = parseAbsoluteTarget(req.url)
  if (target.kind === 'bad') {
    answerResponse(req, res, 400, target.reason, { connection: 'close' })
    return
  }
  const { decision, shownHost, secrets, unexpected } = assess(ctx, req, target)
  const method = req.method ?? 'GET'
  const attempt: EgressAttempt = {
    protocol: 'http', host: shownHost, port: target.port, method, path: shownPath(ctx, target.path),
  }
  const record = openRecord(ctx, attempt)
  if (decision.kind === 'deny' || secrets.names.length > 0) {
    answerResponse(req, res, 403, refuse(ctx, attempt, decision.kind === 'deny' ? decision : null, secrets))
    record.finish('blocked')
    return
  }
  const dialed = await dial(ctx, decision, target.port, 'forward')
  if (dialed.kind !== 'denied' && unexpected !== null) ctx.emitFinding(buildUnexpectedFinding(ctx.attribution, attempt, unexpected.reason))
  if (dialed.kind !== 'connected') {
    const denied = dialed.kind === 'denied'
    answerResponse(req, res, denied ? 403 : 502, denied ? refuse(ctx, attempt, dialed.denial, { names: [], where: 'headers' }) : dialed.reason)
    record.finish(denied ? 'blocked' : 'allowed')
    return
  }
  const authority = formatAuthority(decision.host, target.port, 80)
  const viaUpstream = ctx.upstream
  const outgoing = request({
    createConnection: () => dialed.socket,
    method,
    path: viaUpstream === null ? target.path : `http://${authority}${target.path}`,
    setHost: false,
    headers: [
      ...forwardableHeaders(req.rawHeaders), 'Host', authority, 'Connection', 'close',
      ...(viaUpstream?.authorization == null ? [] : ['Proxy-Authorization', viaUpstream.authorization]),
    ],
  })
  const refused = streamBody(ctx, { req, res, outgoing, record, attempt })
  outgoing.on('response', (upstreamRes) => {
    if (viaUpstream === null || upstreamRes.statusCode !== 407) {
      relayResponse(upstreamRes, res, record)
      return
    }
    upstreamRes.resume()
    answerResponse(req, res, 502, `upstream proxy ${viaUpstream.display} answered 407 (check the credentials in its URL)`)
  })
  outgoing.on('error', (error: NodeJS.ErrnoException) => {
    if (!refused()) answerResponse(req, res, 502, `cannot reach ${authority} (${error.code ?? error.message})`)
  })
  if (!res.closed) await once(res, 'close')
  outgoing.destroy()
  dialed.socket.destroy()
  record.finish(refused() ? 'blocked' : 'allowed')
}

/** Forward the request body through the hold-back scanner; returns whether a secret refused it. */
const streamBody = (
  ctx: ProxyContext,
  flow: { req: IncomingMessage; res: ServerResponse; outgoing: ClientRequest; record: AttemptRecord; attempt: EgressAttempt },
): (() => boolean) => {
  const { req, res, outgoing, record } = flow
  const scanner = createSecretStream(ctx.needles, { holdBack: true })
  let refused = false
  const send = (bytes: Buffer): void => {
    if (bytes.length === 0 || outgoing.destroyed) return
    record.bytesOut += bytes.length
    if (!outgoing.write(bytes)) {
      req.pause()
      outgoing.once('drain', () => req.resume())
    }
  }
  req.on('data', (chunk: Buffer) => {
    if (refused) return
    const { found, release } = scanner.push(chunk)
    if (found.length === 0) {
      send(release)
      return
    }
    refused = true
    outgoing.destroy()
    answerResponse(req, res, 403, refuse(ctx, flow.attempt, null, { names: found, where: 'body' }))
  })
  req.on('end', () => {
    if (refused) return
    send(scanner.flush())
    outgoing.end()
  })
  req.on('error', () => outgoing.destroy())
  return () => refused
}

const HOP_BY_HOP_RESPONSE = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']

const relayResponse = (upstreamRes: IncomingMessage, res: ServerResponse, record: AttemptRecord): void => {
  if (res.headersSent || res.destroyed) {
    upstreamRes.destroy()
    return
  }
  const headers: string[] = []
  for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
    const name = upstreamRes.rawHeaders[i] ?? ''
    if (!HOP_BY_HOP_RESPONSE.includes(name.toLowerCase())) headers.push(name, upstreamRes.rawHeaders[i + 1] ?? '')
  }
  res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers)
  upstreamRes.on('data', (chunk: Buffer) => {
    record.bytesIn += chunk.length
    if (!res.write(chunk)) {
      upstreamRes.pause()
      res.once('drain', () => upstreamRes.resume())
    }
  })
  upstreamRes.on('end', () => res.end())
  upstreamRes.on('error', () => res.destroy())
  upstreamRes.on('aborted', () => res.destroy())
}

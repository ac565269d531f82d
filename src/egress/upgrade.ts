import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { assess, shownPath } from './assess.js'
import { openRecord, type ProxyContext } from './context.js'
import { dial, formatAuthority } from './dial.js'
import { buildSecretFinding, buildUnexpectedFinding, type EgressAttempt } from './egress-report.js'
import { refuse } from './refuse.js'
import { relay } from './relay.js'
import { answerSocket, forwardableHeaders, parseAbsoluteTarget } from './request-head.js'
import { createSecretStream } from './secret-scan.js'

/**
 * A plain-HTTP request with `Upgrade` (WebSocket over ws://): decided and head-scanned like any
 * HTTP request, then the head is sent in origin form over a tunnel and both sides are relayed.
 * Bytes counted are those after the request head. Frames from the client are masked, so the
 * body watch rarely sees anything; the head scan is what counts here.
 */
export const handleUpgrade = async (ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> => {
  const target = parseAbsoluteTarget(req.url)
  if (target.kind === 'bad') {
    answerSocket(socket, 400, target.reason)
    return
  }
  const { decision, shownHost, secrets, unexpected } = assess(ctx, req, target)
  const attempt: EgressAttempt = {
    protocol: 'http', host: shownHost, port: target.port,
    method: req.method ?? 'GET', path: shownPath(ctx, target.path),
  }
  const record = openRecord(ctx, attempt)
  if (decision.kind === 'deny' || secrets.names.length > 0) {
    answerSocket(socket, 403, refuse(ctx, attempt, decision.kind === 'deny' ? decision : null, secrets))
    record.finish('blocked')
    return
  }
  const dialed = await dial(ctx, decision, target.port, 'tunnel')
  if (dialed.kind !== 'denied' && unexpected !== null) ctx.emitFinding(buildUnexpectedFinding(ctx.attribution, attempt, unexpected.reason))
  if (dialed.kind !== 'connected') {
    const denied = dialed.kind === 'denied'
    answerSocket(socket, denied ? 403 : 502, denied ? refuse(ctx, attempt, dialed.denial, { names: [], where: 'headers' }) : dialed.reason)
    record.finish(denied ? 'blocked' : 'allowed')
    return
  }
  const headers = forwardableHeaders(req.rawHeaders, ['connection', 'upgrade'])
  const lines = [`${attempt.method} ${target.path} HTTP/1.1`, `Host: ${formatAuthority(decision.host, target.port, 80)}`]
  for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i] ?? ''}: ${headers[i + 1] ?? ''}`)
  dialed.socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  await relay({
    client: socket, server: dialed.socket, clientHead: head, serverHead: dialed.head, record,
    watch: createSecretStream(ctx.needles, { holdBack: false }),
    onSecret: (names) => ctx.emitFinding(buildSecretFinding(ctx.attribution, attempt, names, 'tunnel')),
  })
  record.finish('allowed')
}

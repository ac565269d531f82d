import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { assess } from './assess.js'
import { openRecord, type ProxyContext } from './context.js'
import { dial } from './dial.js'
import { buildSecretFinding, buildUnexpectedFinding, type EgressAttempt } from './egress-report.js'
import { printableHost } from './host-rules.js'
import { refuse } from './refuse.js'
import { relay } from './relay.js'
import { answerSocket, parseConnectTarget } from './request-head.js'
import { createSecretStream } from './secret-scan.js'

const TLS_HANDSHAKE = 0x16

/**
 * `CONNECT host:port`: decide, then a raw TCP tunnel (no TLS interception), directly or through
 * the upstream proxy. Denied: `403` with the reason, and the socket closed. The event's protocol
 * is `https` when the client's first byte opens a TLS handshake (or, with no data, for port 443),
 * else `tcp`. What the client sends is watched for secrets (useful only when it is not TLS).
 */
export const handleConnect = async (ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> => {
  const target = parseConnectTarget(req.url)
  if (target === null) {
    answerSocket(socket, 400, `malformed CONNECT target "${printableHost((req.url ?? '').slice(0, 100))}" (host:port expected)`)
    return
  }
  const { decision, shownHost, secrets, unexpected } = assess(ctx, req, target)
  const attempt: EgressAttempt = {
    protocol: target.port === 443 ? 'https' : 'tcp', host: shownHost, port: target.port, method: 'CONNECT',
  }
  const record = openRecord(ctx, attempt)
  if (decision.kind === 'deny' || secrets.names.length > 0) {
    answerSocket(socket, 403, refuse(ctx, attempt, decision.kind === 'deny' ? decision : null, secrets))
    record.finish('blocked')
    return
  }
  const dialed = await dial(ctx, decision, target.port, 'tunnel')
  if (dialed.kind !== 'denied' && unexpected !== null) ctx.emitFinding(buildUnexpectedFinding(ctx.attribution, attempt, unexpected.reason))
  switch (dialed.kind) {
    case 'denied':
      answerSocket(socket, 403, refuse(ctx, attempt, dialed.denial, { names: [], where: 'headers' }))
      record.finish('blocked')
      return
    case 'failed':
      answerSocket(socket, 502, dialed.reason)
      record.finish('allowed')
      return
    case 'connected': {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      const { firstByte } = await relay({
        client: socket, server: dialed.socket, clientHead: head, serverHead: dialed.head, record,
        watch: createSecretStream(ctx.needles, { holdBack: false }),
        onSecret: (names) => ctx.emitFinding(buildSecretFinding(ctx.attribution, attempt, names, 'tunnel')),
      })
      record.finish('allowed', firstByte === null ? {} : { protocol: firstByte === TLS_HANDSHAKE ? 'https' : 'tcp' })
    }
  }
}

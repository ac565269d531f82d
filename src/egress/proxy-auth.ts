import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { answerSocket } from './request-head.js'

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/**
 * Checks `Proxy-Authorization: Basic base64(<credentials>)` in constant time. On a TCP listener
 * the credentials are the attribution (random per hook): without them a request is not this
 * hook's and gets 407, and no event (it belongs to nobody we know).
 */
export const createProxyAuth = (credentials: string | null): ((req: IncomingMessage) => boolean) => {
  if (credentials === null) return () => true
  if (credentials === '') throw new Error('egress proxy: empty tcp credentials')
  const expected = digest(credentials)
  return (req) => {
    const match = /^Basic +([A-Za-z0-9+/=_-]+) *$/i.exec(req.headers['proxy-authorization'] ?? '')
    if (match?.[1] === undefined) return false
    return timingSafeEqual(digest(Buffer.from(match[1], 'base64').toString('utf8')), expected)
  }
}

export const PROXY_AUTHENTICATE = 'Proxy-Authenticate: Basic realm="safe-install"'

export const answerUnauthorized = (socket: Socket): void =>
  answerSocket(socket, 407, 'proxy credentials missing or wrong', [PROXY_AUTHENTICATE])

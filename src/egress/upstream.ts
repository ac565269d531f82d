/** The user's own proxy (HTTPS_PROXY / npm `proxy`), through which allowed traffic is chained. */
import type { Socket } from 'node:net'
import { SafeInstallError } from '../errors.js'

export interface UpstreamProxy {
  /** Host name or address, without brackets. */
  readonly host: string
  readonly port: number
  /** `Basic <base64>` when the URL carries credentials, else null. */
  readonly authorization: string | null
  /** The URL without credentials, for messages. */
  readonly display: string
}

/** Only `http://` upstream proxies are supported; the URL's credentials are kept for Proxy-Authorization. */
export const parseUpstream = (text: string): UpstreamProxy => {
  let url: URL
  try {
    url = new URL(text)
  } catch (error) {
    throw new SafeInstallError('ECONFIG', 'the upstream proxy URL is not a valid URL', 'set proxy / https-proxy in .npmrc to http://host:port', { cause: error })
  }
  const display = `${url.protocol}//${url.host}`
  if (url.protocol !== 'http:') {
    throw new SafeInstallError('ECONFIG', `the upstream proxy ${display} uses ${url.protocol}; only http:// proxies can be chained`, 'point proxy / https-proxy in .npmrc at the proxy\'s http:// address')
  }
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 80 : Number(url.port),
    authorization: user === '' && password === '' ? null : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    display,
  }
}

const MAX_RESPONSE_HEAD = 16 * 1024

/**
 * Ask the upstream proxy, over a connected socket, for a tunnel to `authority`. On success the
 * socket is left paused, and `head` holds whatever arrived after the proxy's answer.
 */
export const requestUpstreamTunnel = (
  socket: Socket,
  upstream: UpstreamProxy,
  authority: string,
  timeoutMs: number,
): Promise<{ readonly kind: 'ok'; readonly head: Buffer } | { readonly kind: 'failed'; readonly reason: string }> =>
  new Promise((resolve) => {
    let buffered = Buffer.alloc(0)
    const finish = (result: { kind: 'ok'; head: Buffer } | { kind: 'failed'; reason: string }): void => {
      clearTimeout(timer)
      socket.pause()
      socket.removeListener('data', onData)
      socket.removeListener('close', onClose)
      if (result.kind === 'failed') socket.destroy()
      resolve(result)
    }
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffered.length > MAX_RESPONSE_HEAD) finish({ kind: 'failed', reason: `upstream proxy ${upstream.display} sent an oversized answer` })
        return
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1]
      if (status?.startsWith('2') === true) finish({ kind: 'ok', head: buffered.subarray(end + 4) })
      else finish({ kind: 'failed', reason: `upstream proxy ${upstream.display} answered ${status ?? 'garbage'} to CONNECT ${authority}` })
    }
    const onClose = (): void => finish({ kind: 'failed', reason: `upstream proxy ${upstream.display} closed the connection` })
    const timer = setTimeout(() => finish({ kind: 'failed', reason: `upstream proxy ${upstream.display} did not answer CONNECT in time` }), timeoutMs)
    socket.on('data', onData)
    socket.on('close', onClose)
    const auth = upstream.authorization === null ? '' : `Proxy-Authorization: ${upstream.authorization}\r\n`
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`)
  })

/** Loopback-only fixtures for the egress proxy tests: an origin, an echo server, raw clients. */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEgressProxy, type EgressAddress, type EgressProxy, type EgressProxyOptions } from '../../../src/egress/proxy.js'
import type { EgressEvent, Finding } from '../../../src/types.js'

export const PKG = { name: 'evil-pkg', version: '1.0.0' }
export const ATTRIBUTION = { package: PKG, event: 'postinstall' }
export const TOKEN = 'npm_FAKEfakeFAKEfake0123456789abcdefgh'
export const SECRETS = [{ name: 'NPM_TOKEN', value: TOKEN }]

export interface Harness {
  readonly proxy: EgressProxy
  readonly address: EgressAddress
  readonly events: EgressEvent[]
  readonly findings: Finding[]
}

const cleanups: Array<() => Promise<void>> = []

/** Close everything the helpers started, newest first (call in afterEach). */
export const cleanup = async (): Promise<void> => {
  while (cleanups.length > 0) await cleanups.pop()?.()
}

export const startProxy = async (over: Partial<EgressProxyOptions> = {}): Promise<Harness> => {
  const dir = await mkdtemp(join(tmpdir(), 'egress-test-'))
  const events: EgressEvent[] = []
  const findings: Finding[] = []
  const proxy = await startEgressProxy({
    listen: { kind: 'unix', path: join(dir, 'egress.sock') },
    attribution: ATTRIBUTION,
    grants: [],
    secrets: SECRETS,
    onEvent: (e) => events.push(e),
    onFinding: (f) => findings.push(f),
    ...over,
  })
  cleanups.push(async () => {
    await proxy.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })
  return { proxy, address: proxy.address(), events, findings }
}

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  aborted: boolean
}

export interface Origin {
  readonly port: number
  readonly requests: SeenRequest[]
  /** Resolves when the origin has seen `n` requests end (completed or aborted). */
  settled(n: number): Promise<void>
}

/** An HTTP origin on 127.0.0.1 answering `hello <method> <url>`; `/big` answers 2345 bytes; `/drop` drops the connection; `upgrade: echo` echoes. */
export const startOrigin = async (): Promise<Origin> => {
  const requests: SeenRequest[] = []
  let ended = 0
  const waiters: Array<() => void> = []
  const done = (): void => {
    ended += 1
    for (const w of waiters.splice(0)) w()
  }
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    const seen: SeenRequest = {
      method: req.method ?? '', url: req.url ?? '', headers: req.headers, aborted: false,
      get body() { return Buffer.concat(chunks) },
    }
    requests.push(seen)
    if (req.url === '/drop') {
      req.socket.destroy()
      seen.aborted = true
      done()
      return
    }
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('error', () => undefined)
    req.on('close', () => {
      if (!req.complete) {
        seen.aborted = true
        done()
      }
    })
    req.on('end', () => {
      res.end(req.url === '/big' ? 'x'.repeat(2345) : `hello ${seen.method} ${seen.url}`)
      done()
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: head, aborted: false })
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n')
    socket.write(head)
    socket.pipe(socket)
    socket.on('error', () => undefined)
    done()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const settled = async (n: number): Promise<void> => {
    while (ended < n) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  return { port: (server.address() as AddressInfo).port, requests, settled }
}

/** A TCP echo server on 127.0.0.1. */
export const startEcho = async (): Promise<{ readonly port: number }> => {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  return { port: (server.address() as AddressInfo).port }
}

export const dialProxy = (address: EgressAddress): Socket =>
  address.kind === 'unix' ? connect(address.path) : connect(address.port, address.host)

export interface ProxyResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A plain-HTTP proxy request (absolute URI in the request line). */
export const proxyRequest = (
  address: EgressAddress,
  options: { url: string; method?: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<ProxyResponse> =>
  new Promise((resolve, reject) => {
    const req = request({
      ...(address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port }),
      path: options.url, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })

export interface Tunnel {
  readonly socket: Socket
  readonly status: number
  /** The whole answer when the proxy refused (head and body), else the head. */
  readonly answer: string
}

/** Send `CONNECT authority` and read the answer; on 200 the socket is a tunnel. */
export const openConnect = (address: EgressAddress, authority: string, extraHeaders = ''): Promise<Tunnel> =>
  new Promise((resolve, reject) => {
    const socket = dialProxy(address)
    let buffered = Buffer.alloc(0)
    socket.on('error', reject)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffered.toString('latin1'))?.[1] ?? 0)
      if (status === 200) {
        socket.removeListener('data', onData)
        socket.removeListener('error', reject)
        socket.pause()
        if (buffered.length > end + 4) socket.unshift(buffered.subarray(end + 4))
        resolve({ socket, status, answer: buffered.subarray(0, end + 4).toString() })
      }
    }
    socket.on('data', onData)
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffered.toString('latin1'))?.[1] ?? 0)
      resolve({ socket, status, answer: buffered.toString() })
    })
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extraHeaders}\r\n`)
  })

/** Write `text` into a tunnel and read back `expected` bytes. */
export const roundTrip = (socket: Socket, text: string, expected = text.length): Promise<string> =>
  new Promise((resolve, reject) => {
    let got = ''
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('latin1')
      if (got.length >= expected) {
        socket.removeListener('data', onData)
        socket.pause()
        resolve(got)
      }
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.resume()
    socket.write(text)
  })

/** Send raw bytes to the proxy and read everything until it closes. */
export const rawExchange = (address: EgressAddress, text: string): Promise<string> =>
  new Promise((resolve) => {
    const socket = dialProxy(address)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    socket.write(text)
  })

export const closed = (socket: Socket): Promise<void> =>
  socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()))

/** POST a body in chunks, as a payload streaming a big upload would. */
export const postInChunks = (address: EgressAddress, url: string, chunks: readonly Buffer[]): Promise<{ status: number; body: string }> =>
  new Promise((resolve) => {
    const req = request({
      ...(address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port }),
      path: url, method: 'POST', agent: false,
    }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', (error) => resolve({ status: 0, body: String(error) }))
    const next = (i: number): void => {
      if (i === chunks.length) {
        req.end()
        return
      }
      req.write(chunks[i], () => setImmediate(() => next(i + 1)))
    }
    next(0)
  })

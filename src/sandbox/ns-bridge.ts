/**
 * Runs inside a hook's network namespace, started by ns-init.sh with the scrubbed environment:
 * the namespace's only way out, to the hook's egress proxy on a unix socket.
 *  - 127.0.0.1:<port>: the proxy that HTTP(S)_PROXY points at, piped to the proxy socket.
 *  - with `capture`, for clients that ignore proxy variables: a DNS stub on 127.0.0.1:53 that
 *    answers every name with a loopback address of its own (and reports the query to the proxy
 *    before answering), and listeners on port 80 and 443 that hand each connection to the proxy
 *    as if the client had asked it: the name it looked up, else the Host header or the TLS SNI.
 *  - a watchdog: when the pid namespace holds more than <pids-max> processes (a fork flood), it
 *    writes `pids <max>` to <limit-file> and kills every process but bwrap, the init and itself.
 * Writes <ready-file> once every listener is up; exits 70 when one cannot be set up.
 * Usage: ns-bridge <port> <proxy-socket> <ready-file> <proxy|capture> <pids-max> <limit-file>
 */
import { createSocket } from 'node:dgram'
import { readdirSync, writeFileSync } from 'node:fs'
import { Agent, createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { buildDnsAnswer, dnsTypeName, LoopbackNames, parseDnsQuery } from './capture/dns-wire.js'
import { CAPTURE_PORTS, DNS_LOG_PATH, type DnsLogEntry } from './capture/protocol.js'
import { MAX_HELLO_BYTES, readSni } from './capture/tls-sni.js'

const [portText, socketPath = '', readyFile, mode, pidsText, limitFile] = process.argv.slice(2)
const pidsMax = Number(pidsText)
if (portText === undefined || socketPath === '' || readyFile === undefined || !(pidsMax > 0) || limitFile === undefined) {
  process.stderr.write('safe-install ns-bridge: bad arguments\n')
  process.exit(70)
}

const fail = (error: Error): never => {
  process.stderr.write(`safe-install ns-bridge: ${error.message}\n`)
  process.exit(70)
}

const pipeBoth = (a: Socket, b: Socket): void => {
  const end = (): void => {
    a.destroy()
    b.destroy()
  }
  a.on('error', end)
  b.on('error', end)
  a.on('close', end)
  b.on('close', end)
  a.pipe(b).pipe(a)
}

const listen = (server: Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })

const proxyServer = createServer((client) => pipeBoth(client, connect(socketPath)))

const names = new LoopbackNames()
const OWN_NAME = hostname().toLowerCase()
const logAgent = new Agent({ keepAlive: true, maxSockets: 1 })

/** Tell the proxy about a query, then answer; the answer waits so no query goes unrecorded. */
const logQuery = (entry: DnsLogEntry): Promise<void> =>
  new Promise((resolve) => {
    const req = request({ socketPath, agent: logAgent, method: 'POST', path: DNS_LOG_PATH, headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
      res.resume()
      res.on('end', resolve)
      res.on('error', () => resolve())
    })
    req.on('error', () => resolve())
    req.end(`${JSON.stringify(entry)}\n`)
  })

const startDnsStub = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const udp = createSocket('udp4')
    udp.on('message', (message, peer) => {
      const query = parseDnsQuery(message)
      if (query === null) return
      // The sandbox's own host name is this machine: loopback, and not a lookup worth reporting.
      if (query.name.toLowerCase() === OWN_NAME) {
        udp.send(buildDnsAnswer(query, query.type === 1 ? { address: '127.0.0.1' } : {}), peer.port, peer.address)
        return
      }
      const opcode = (query.flags >> 11) & 0xf
      const address = opcode === 0 && query.qclass === 1 && query.type === 1 ? names.addressFor(query.name.toLowerCase()) : null
      const answer = opcode !== 0 ? buildDnsAnswer(query, { rcode: 'notimp' })
        : query.type === 1 && address === null ? buildDnsAnswer(query, { rcode: 'refused' })
          : buildDnsAnswer(query, address === null ? {} : { address })
      void logQuery({ name: query.name, type: dnsTypeName(query.type), answer: address }).then(() => {
        udp.send(answer, peer.port, peer.address)
      })
    })
    udp.once('error', reject)
    udp.bind(53, '127.0.0.1', () => resolve())
  })

/** Port 80: each request forwarded to the proxy in absolute form, for the name the client looked up. */
const httpCapture = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
  const host = names.nameAt(req.socket.localAddress ?? '') ?? req.headers.host
  if (host === undefined || host === '' || /[\s/?#@]/.test(host)) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('safe-install: no host name for this request\n')
    return
  }
  const path = /^https?:\/\//i.test(req.url ?? '') ? req.url ?? '' : `http://${host}${req.url ?? '/'}`
  const forward = request({ socketPath, method: req.method, path, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(res)
  })
  forward.on('error', () => res.destroy())
  req.pipe(forward)
})

/** Port 443: the ClientHello is read (not terminated) for its SNI, then the proxy is asked for a tunnel. */
const tlsCapture = createServer((client) => {
  let buffered = Buffer.alloc(0)
  const mapped = names.nameAt(client.localAddress ?? '')
  const timer = setTimeout(() => client.destroy(), 10_000)
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk])
    const sni = readSni(buffered)
    if (sni.kind === 'more' && buffered.length <= MAX_HELLO_BYTES) return
    client.removeListener('data', onData)
    client.pause()
    clearTimeout(timer)
    const name = mapped ?? (sni.kind === 'name' ? sni.name : client.localAddress ?? '127.0.0.1')
    tunnel(client, name, buffered)
  }
  client.on('data', onData)
  client.on('error', () => client.destroy())
})

const tunnel = (client: Socket, name: string, hello: Buffer): void => {
  const upstream = connect(socketPath)
  const authority = name.includes(':') ? `[${name}]:443` : `${name}:443`
  let head = Buffer.alloc(0)
  const onHead = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk])
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) {
      if (head.length > 16_384) upstream.destroy()
      return
    }
    upstream.removeListener('data', onHead)
    if (!/^HTTP\/1\.[01] 200/.test(head.subarray(0, end).toString('latin1'))) {
      client.destroy()
      upstream.destroy()
      return
    }
    const rest = head.subarray(end + 4)
    if (rest.length > 0) client.write(rest)
    upstream.write(hello)
    pipeBoth(client, upstream)
    client.resume()
  }
  upstream.on('data', onHead)
  upstream.on('error', () => client.destroy())
  upstream.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`)
}

/** Processes in this pid namespace (the bridge sees only its own namespace's /proc). */
const processIds = (): number[] => readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number)

/** Everything but bwrap (pid 1), the init that started this bridge, and the bridge itself. */
const KEEP = new Set([1, process.ppid, process.pid])

const watchdog = (): void => {
  if (processIds().length <= pidsMax) return
  writeFileSync(limitFile, `pids ${pidsMax}\n`)
  // Repeat while forks race the kills; zombies stay listed until their parent is gone.
  for (let round = 0; round < 50; round += 1) {
    const targets = processIds().filter((pid) => !KEEP.has(pid))
    if (targets.length === 0) break
    for (const pid of targets) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
}

const start = async (): Promise<void> => {
  setInterval(watchdog, 50)
  await listen(proxyServer, Number(portText), '127.0.0.1')
  if (mode === 'capture') {
    await startDnsStub()
    await listen(tlsCapture, CAPTURE_PORTS.https, '0.0.0.0')
    await new Promise<void>((resolve, reject) => {
      httpCapture.once('error', reject)
      httpCapture.listen(CAPTURE_PORTS.http, '0.0.0.0', () => resolve())
    })
  }
  writeFileSync(readyFile, mode === 'capture' ? 'capture' : 'proxy')
}

start().catch(fail)

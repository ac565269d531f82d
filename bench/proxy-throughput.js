#!/usr/bin/env node
// Egress proxy micro-benchmark. Targets: a 256 MiB loopback download through the proxy at
// ≥ 0.9× the direct throughput, and 200 concurrent connections held.
//
// Uses the built product: startEgressProxy from dist/egress/proxy.js, listening on 127.0.0.1 with
// per-hook credentials as a hook without namespaces gets it, granted exactly `127.0.0.1:<port>`.
// Three processes, as in a real install: a server child (HTTP blob + TCP echo), the proxy in this
// process (it runs inside safe-install), and a client child per download (the hook). The blob is
// generated (one random 1 MiB buffer written repeatedly), never a file.
//
// Only 127.0.0.1 listeners and connections; nothing else is reached. Plain Node ESM, node
// built-ins plus ../dist. See bench/README.md.

import { fork } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, request } from 'node:http'
import { connect, createServer as createTcpServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { machineInfo, machineLines, parseFlags, REPO, writeDocsSection } from './lib/report.js'
import { markdownTable, median, rotate, since, textTable } from './lib/stats.js'

const SELF = fileURLToPath(import.meta.url)
const LOOPBACK = '127.0.0.1'
const TARGET_RATIO = 0.9
const USAGE = `Usage: node bench/proxy-throughput.js [options]

  --mib N           download size in MiB (default 256)
  --rounds N        downloads per mode (direct, HTTP forward, CONNECT), interleaved (default 7)
  --connections N   concurrent CONNECT tunnels to hold (default 200)
  --no-docs         do not write docs/benchmarks.md
  -h, --help        show this help`

// =================================================================== server child

const cpuMs = (usage) => (usage.user + usage.system) / 1000

/** HTTP `GET /blob?bytes=N` (generated) and a TCP echo server, both on 127.0.0.1; reports its ports. */
async function serve () {
  const chunk = randomBytes(1 << 20)
  const http = createHttpServer((req, res) => {
    const bytes = Number(new URL(req.url, 'http://x').searchParams.get('bytes'))
    if (req.method !== 'GET' || !req.url.startsWith('/blob') || !(bytes > 0)) return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) })
    let left = bytes
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length)
        left -= n
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once('drain', pump)
      }
      res.end()
    }
    pump()
  })
  let open = 0
  let peak = 0
  const echo = createTcpServer((socket) => {
    open += 1
    peak = Math.max(peak, open)
    socket.on('close', () => { open -= 1 })
    socket.on('error', () => socket.destroy())
    socket.pipe(socket)
  })
  echo.maxConnections = 10_000
  await Promise.all([
    new Promise(resolve => http.listen(0, LOOPBACK, resolve)),
    new Promise(resolve => echo.listen(0, LOOPBACK, { backlog: 1024 }, resolve)),
  ])
  process.on('message', (m) => {
    if (m === 'cpu') process.send({ cpuMs: cpuMs(process.cpuUsage()) })
    if (m === 'echo-stats') process.send({ open, peak })
    if (m === 'stop') { http.close(); echo.close(); process.disconnect() }
  })
  process.send({ httpPort: http.address().port, echoPort: echo.address().port })
}

// =================================================================== client child

/** One download (the hook's side): `direct`, `forward` (absolute URI) or `connect` (tunnel). Times first request byte to last body byte. */
async function download ({ mode, httpPort, proxyPort, credentials, bytes }) {
  const pathQuery = `/blob?bytes=${bytes}`
  const auth = `Basic ${Buffer.from(credentials ?? '').toString('base64')}`
  const cpu = process.cpuUsage()
  const start = performance.now()
  let req
  if (mode === 'direct') {
    req = request({ host: LOOPBACK, port: httpPort, path: pathQuery, agent: false })
  } else if (mode === 'forward') {
    req = request({ host: LOOPBACK, port: proxyPort, path: `http://${LOOPBACK}:${httpPort}${pathQuery}`, agent: false, headers: { host: `${LOOPBACK}:${httpPort}`, 'proxy-authorization': auth } })
  } else {
    const tunnel = request({ host: LOOPBACK, port: proxyPort, method: 'CONNECT', path: `${LOOPBACK}:${httpPort}`, agent: false, headers: { host: `${LOOPBACK}:${httpPort}`, 'proxy-authorization': auth } })
    tunnel.end()
    const [res, socket] = await once(tunnel, 'connect')
    if (res.statusCode !== 200) throw new Error(`CONNECT answered ${res.statusCode}`)
    // No `agent` here: with `agent: false` Node ignores createConnection and would dial the server directly.
    req = request({ createConnection: () => socket, host: LOOPBACK, port: httpPort, path: pathQuery })
  }
  req.end()
  const [res] = await once(req, 'response')
  let received = 0
  res.on('data', (c) => { received += c.length })
  await once(res, 'end')
  const ms = since(start)
  res.socket?.destroy()
  process.send({ status: res.statusCode, received, ms, cpuMs: cpuMs(process.cpuUsage(cpu)) })
  process.disconnect()
}

// =================================================================== orchestrator

/** Ask the server child one question (one at a time) and wait for its answer. */
async function askServer (server, question) {
  server.child.send(question)
  const [answer] = await once(server.child, 'message')
  return answer
}

function startChild (args) {
  const child = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
  const exited = once(child, 'exit')
  const first = new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`child ${args[0]} exited ${code} before answering`)))
  })
  return { child, first, exited }
}

async function runDownload (job) {
  const { first, exited } = startChild(['--role=client', JSON.stringify(job)])
  const result = await first
  await exited
  return result
}

/** Wait until `predicate()` holds (events arrive when a connection ends, after the client is gone). */
async function until (predicate, what, ms = 5000) {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** A raw CONNECT through the proxy: resolves with the socket and the status code of the proxy's answer. */
function openTunnel (proxyPort, credentials, target) {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, LOOPBACK)
    let head = Buffer.alloc(0)
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.removeListener('data', onData)
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1])
      resolve({ socket, status, rest: head.subarray(end + 4) })
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n\r\n`)
  })
}

/** Send a line through an open tunnel and wait for the echo. */
function echoThrough ({ socket, rest }, line) {
  return new Promise((resolve, reject) => {
    let got = rest.toString('latin1')
    const check = () => {
      if (got.length >= line.length) {
        socket.removeListener('data', onData)
        if (got === line) resolve()
        else reject(new Error(`echo mismatch: sent ${JSON.stringify(line)}, got ${JSON.stringify(got.slice(0, 80))}`))
      }
    }
    const onData = (chunk) => { got += chunk.toString('latin1'); check() }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.write(line)
  })
}

async function main () {
  const opts = parseFlags(process.argv.slice(2), { '--mib': 'int', '--rounds': 'int', '--connections': 'int', '--no-docs': 'bool' }, USAGE)
  const mib = opts.mib ?? 256
  const rounds = opts.rounds ?? 7
  const connections = opts.connections ?? 200
  const bytes = mib * 2 ** 20

  let proxyModule
  let canaries
  try {
    proxyModule = await import(pathToFileURL(path.join(REPO, 'dist', 'egress', 'proxy.js')).href)
    canaries = await import(pathToFileURL(path.join(REPO, 'dist', 'sandbox', 'env', 'canaries.js')).href)
  } catch (error) {
    console.error(`bench: cannot load the built modules (${error.message}); run \`npm run build\` first (\`npm run bench:proxy\` does).`)
    return 1
  }
  const secrets = Object.entries(canaries.makeCanaries(randomBytes)).map(([name, value]) => ({ name: `canary ${name}`, value }))

  const machine = machineInfo()
  console.log(`safe-install proxy-throughput bench: ${mib} MiB × ${rounds} rounds per mode, then ${connections} concurrent CONNECT tunnels`)
  console.log(`machine: ${machine.cpu}, ${machine.os}, node ${machine.node}`)

  const server = startChild(['--role=server'])
  const { httpPort, echoPort } = await server.first
  const proxies = []
  const start = async (grants, events, findings) => {
    const credentials = `bench:${randomBytes(18).toString('hex')}`
    const proxy = await proxyModule.startEgressProxy({
      listen: { kind: 'tcp', host: LOOPBACK, credentials },
      attribution: { package: { name: 'bench-proxy', version: '1.0.0' }, event: 'postinstall' },
      grants,
      secrets,
      onEvent: (e) => events.push(e),
      onFinding: (f) => findings.push(f),
    })
    proxies.push(proxy)
    return { proxy, credentials, port: proxy.address().port }
  }

  try {
    // ------------------------------------------------------------ throughput
    const events = []
    const findings = []
    const { port: proxyPort, credentials, proxy } = await start([`${LOOPBACK}:${httpPort}`], events, findings)
    const modes = ['direct', 'forward', 'connect']
    const samples = { direct: [], forward: [], connect: [] }
    const cpu = { direct: [], forward: [], connect: [] }
    await runDownload({ mode: 'direct', httpPort, bytes: Math.min(bytes, 16 << 20) }) // warm the server and page cache
    for (let round = 0; round < rounds; round++) {
      for (const mode of rotate(modes, round)) {
        const before = events.length
        const serverCpu = (await askServer(server, 'cpu')).cpuMs
        const proxyCpu = process.cpuUsage()
        const r = await runDownload({ mode, httpPort, proxyPort, credentials, bytes })
        if (r.status !== 200 || r.received !== bytes) throw new Error(`${mode}: status ${r.status}, ${r.received} of ${bytes} bytes`)
        if (mode !== 'direct') {
          await until(() => events.length > before, `the proxy's event for the ${mode} download`)
          const e = events[events.length - 1]
          if (e.decision !== 'allowed' || e.bytesIn < bytes) throw new Error(`${mode}: unexpected event ${JSON.stringify(e)}`)
        }
        cpu[mode].push({
          server: (await askServer(server, 'cpu')).cpuMs - serverCpu,
          proxy: mode === 'direct' ? 0 : cpuMs(process.cpuUsage(proxyCpu)),
          client: r.cpuMs,
        })
        samples[mode].push(bytes / 1e6 / (r.ms / 1000))
        console.log(`round ${round + 1}/${rounds} ${mode.padEnd(7)} ${(bytes / 1e6 / (r.ms / 1000)).toFixed(0).padStart(6)} MB/s (${(r.ms / 1000).toFixed(2)} s)`)
      }
    }
    // The grant is exact: another loopback port, and the loopback name, are refused.
    const refusals = []
    for (const target of [`${LOOPBACK}:${echoPort}`, `localhost:${httpPort}`]) {
      const t = await openTunnel(proxyPort, credentials, target)
      t.socket.destroy()
      refusals.push({ target, status: t.status })
      if (t.status !== 403) throw new Error(`CONNECT ${target} was answered ${t.status}, not 403: the grant is not exact`)
    }
    await proxy.close()
    const blocked = events.filter(e => e.decision === 'blocked').length
    if (blocked !== refusals.length || findings.length !== refusals.length) throw new Error(`expected ${refusals.length} blocked events and findings, got ${blocked} and ${findings.length}`)

    // ----------------------------------------------------------- concurrency
    const cEvents = []
    const cFindings = []
    const c = await start([`${LOOPBACK}:${echoPort}`], cEvents, cFindings)
    const t0 = performance.now()
    const tunnels = await Promise.allSettled(Array.from({ length: connections }, async (_, i) => {
      const t = await openTunnel(c.port, c.credentials, `${LOOPBACK}:${echoPort}`)
      if (t.status !== 200) { t.socket.destroy(); throw new Error(`tunnel ${i}: CONNECT answered ${t.status}`) }
      await echoThrough(t, `tunnel ${String(i).padStart(4, '0')} ${randomBytes(8).toString('hex')}\n`)
      return t
    }))
    const establishMs = since(t0)
    const open = tunnels.filter(t => t.status === 'fulfilled').map(t => t.value)
    const failures = tunnels.filter(t => t.status === 'rejected').map(t => t.reason.message)
    // All still open at once: every client socket alive, and the echo server holding them.
    const held = await askServer(server, 'echo-stats')
    const stillOpen = open.filter(t => !t.socket.destroyed).length
    const eventsBeforeClose = cEvents.length
    const closedClients = Promise.all(open.map(t => t.socket.destroyed ? null : once(t.socket, 'close')))
    const c0 = performance.now()
    await c.proxy.close()
    const closeMs = since(c0)
    await closedClients
    const allowed = cEvents.filter(e => e.decision === 'allowed' && e.protocol === 'tcp' && e.bytesOut > 0 && e.bytesOut === e.bytesIn).length
    const concurrency = { connections, echoed: open.length, failures, establishMs, held, stillOpen, eventsBeforeClose, events: cEvents.length, allowed, closeMs, findings: cFindings.length }

    // ---------------------------------------------------------------- report
    const result = summarize(samples, cpu, bytes)
    const concurrencyOk = open.length === connections && stillOpen === connections && held.open === connections && allowed === connections && cEvents.length === connections
    console.log(`\n${textTable(['Mode', 'median MB/s', 'min', 'max', 'ratio to direct', 'CPU ms server / proxy / client', 'proxy CPU ceiling MB/s'], result.rows.map(r => r.text))}`)
    console.log(`\n${result.verdictText}`)
    const concurrencyText = concurrencyLine(concurrency, concurrencyOk)
    console.log(concurrencyText)
    if (failures.length > 0) console.log(`first failures: ${failures.slice(0, 3).join('; ')}`)

    if (!opts['no-docs']) {
      const file = await writeDocsSection('proxy-throughput', docsBody({ when: new Date(), machine, mib, rounds, result, concurrency, concurrencyOk, concurrencyText, refusals }))
      console.log(`updated ${path.relative(process.cwd(), file) || file}`)
    }
    return concurrencyOk ? 0 : 1
  } finally {
    await Promise.allSettled(proxies.map(p => p.close()))
    if (server.child.connected) server.child.send('stop')
    await server.exited
  }
}

// -------------------------------------------------------------------- output

const LABELS = { direct: 'direct', forward: 'proxy, plain HTTP (absolute URI)', connect: 'proxy, CONNECT tunnel' }

function summarize (samples, cpu, bytes) {
  const direct = median(samples.direct)
  const rows = Object.keys(samples).map(mode => {
    const m = median(samples[mode])
    const ratio = m / direct
    const c = Object.fromEntries(['server', 'proxy', 'client'].map(k => [k, median(cpu[mode].map(x => x[k]))]))
    const cpuText = `${c.server.toFixed(0)} / ${mode === 'direct' ? '—' : c.proxy.toFixed(0)} / ${c.client.toFixed(0)}`
    // What the proxy could relay with a core to itself: bytes over its own CPU time.
    const ceiling = mode === 'direct' ? '—' : (bytes / 1e6 / (c.proxy / 1000)).toFixed(0)
    return {
      mode, median: m, min: Math.min(...samples[mode]), max: Math.max(...samples[mode]), ratio, cpu: c,
      text: [LABELS[mode], m.toFixed(0), Math.min(...samples[mode]).toFixed(0), Math.max(...samples[mode]).toFixed(0), mode === 'direct' ? '—' : ratio.toFixed(2), cpuText, ceiling],
    }
  })
  const proxied = rows.filter(r => r.mode !== 'direct')
  const met = proxied.every(r => r.ratio >= TARGET_RATIO)
  const verdictText = `throughput through the proxy: ${proxied.map(r => `${r.mode} ${r.ratio.toFixed(2)}×`).join(', ')} of direct ` +
    `(target ≥ ${TARGET_RATIO}×: ${met ? 'met' : 'NOT met'}); ${(bytes / 2 ** 20).toFixed(0)} MiB per download`
  return { rows, met, verdictText }
}

function concurrencyLine (c, ok) {
  return `concurrency: ${c.echoed}/${c.connections} CONNECT tunnels echoed in ${c.establishMs.toFixed(0)} ms; ` +
    `${c.stillOpen} held open at once (echo server: ${c.held.open} open, peak ${c.held.peak}); ` +
    `${c.eventsBeforeClose} events before close, ${c.events} after proxy.close() (${c.closeMs.toFixed(0)} ms), ${c.allowed} allowed tcp events with matching byte counts ` +
    `(target ${c.connections} held: ${ok ? 'met' : 'NOT met'})`
}

function docsBody ({ when, machine, mib, rounds, result, concurrency, concurrencyOk, refusals }) {
  const c = concurrency
  const byMode = Object.fromEntries(result.rows.map(r => [r.mode, r]))
  return [
    `## Egress proxy — ${byMode.forward.ratio.toFixed(2)}× / ${byMode.connect.ratio.toFixed(2)}× of direct (target ≥ ${TARGET_RATIO}×: ${result.met ? 'met' : 'NOT met'}); ` +
      `${c.echoed} of ${c.connections} tunnels held (${concurrencyOk ? 'met' : 'NOT met'})`,
    '',
    'Written by `npm run bench:proxy` ([bench/proxy-throughput.js](../bench/proxy-throughput.js)); replaced on every run.',
    '',
    ...machineLines(when, machine),
    `- Ran: ${rounds} downloads of ${mib} MiB per mode, interleaved (round i starts with mode i mod 3), after one 16 MiB warm-up. ` +
      'Server (generated body, Content-Length), proxy and client are three processes, as in an install: the server in a child, ' +
      '`startEgressProxy` in the bench process (listen `tcp` on 127.0.0.1 with per-hook credentials, grants exactly ' +
      '`127.0.0.1:<server port>`), a fresh client child per download timing first request byte to last body byte. ' +
      'MB/s = 10⁶ bytes/s. CPU = user + system time of each process during one download (medians); the proxy CPU ceiling is ' +
      'the body size over the proxy\'s CPU time, what it could relay with a core to itself.',
    '',
    markdownTable(['Mode', 'Median MB/s', 'Min', 'Max', 'Ratio to direct (median)', 'CPU ms per download: server / proxy / client', 'Proxy CPU ceiling (MB/s)'], ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      result.rows.map(r => [r.text[0], r.text[1], r.text[2], r.text[3], r.mode === 'direct' ? '—' : `**${r.text[4]}**`, r.text[5], r.text[6]])),
    '',
    `Every download returned status 200 and all ${mib} MiB, and the proxy reported one allowed event per proxied download with ` +
      `bytesIn ≥ the body size. The grant is exact: CONNECT to ${refusals.map(r => `\`${r.target.replace(/:\d+$/, ':<port>')}\``).join(' and ')} ` +
      `(another loopback port, the loopback name) were answered ${[...new Set(refusals.map(r => r.status))].join('/')}.`,
    '',
    verdict(result, machine, mib),
    '',
    `Concurrency: ${c.connections} CONNECT tunnels opened at once through one proxy to a loopback echo server; ` +
      `${c.echoed} echoed their line (${c.establishMs.toFixed(0)} ms for all), ${c.stillOpen} were held open simultaneously ` +
      `(echo server: ${c.held.open} open, peak ${c.held.peak}). Events: ${c.eventsBeforeClose} before close (a tunnel's event comes when it ends), ` +
      `${c.events} after \`proxy.close()\` (${c.closeMs.toFixed(0)} ms), ${c.allowed} of them allowed \`tcp\` with bytes out = bytes in` +
      `${c.failures.length > 0 ? `; failures: ${c.failures.slice(0, 3).join('; ')}` : ''}.`,
    '',
  ].join('\n')
}

/** Why the throughput target is or is not met, from the measured CPU times. */
function verdict (result, machine, mib) {
  const by = Object.fromEntries(result.rows.map(r => [r.mode, r]))
  const worst = [by.forward, by.connect].sort((a, b) => a.ratio - b.ratio)[0]
  const ceiling = mib * 2 ** 20 / 1e6 / (worst.cpu.proxy / 1000)
  const parts = [
    `Verdict: throughput ${result.met ? 'met' : 'not met'} (plain HTTP ${by.forward.ratio.toFixed(2)}×, CONNECT ${by.connect.ratio.toFixed(2)}×).`,
    `The proxy copies every byte through user space (two socket hops, no splice in Node): ${worst.cpu.proxy.toFixed(0)} ms of CPU per ${mib} MiB ` +
      `in ${worst.mode === 'forward' ? 'plain-HTTP' : 'CONNECT'} mode, a ceiling of ${ceiling.toFixed(0)} MB/s with a core to itself` +
      `${ceiling < TARGET_RATIO * by.direct.median ? `, below ${TARGET_RATIO}× the direct ${by.direct.median.toFixed(0)} MB/s, so the target is out of reach on this CPU whatever the scheduling` : ''}.`,
    `Proxied, three busy processes share ${machine.cpuCount} cores, and the client spends more CPU per byte when the proxy feeds it ` +
      `(${by.forward.cpu.client.toFixed(0)} / ${by.connect.cpu.client.toFixed(0)} ms against ${by.direct.cpu.client.toFixed(0)} ms direct, probably from smaller reads).`,
    'Rounds spread widely (min–max above); compare medians across runs, on an otherwise idle machine.',
  ]
  return parts.join(' ')
}

// ----------------------------------------------------------------------- roles

const role = process.argv.find(a => a.startsWith('--role='))?.slice('--role='.length)
if (role === 'server') {
  serve().catch((error) => { console.error(error); process.exit(1) })
} else if (role === 'client') {
  download(JSON.parse(process.argv[process.argv.length - 1])).catch((error) => { console.error(error); process.exit(1) })
} else {
  main().then(code => { process.exitCode = code }, err => {
    console.error(err)
    process.exitCode = 1
  })
}

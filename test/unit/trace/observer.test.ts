import { execFile } from 'node:child_process'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ObservedEvent } from '../../../src/trace/observed.js'
import { createObserverParser, OBSERVER_ENV, observerNodeOptions, type ObserverLogStats } from '../../../src/trace/observer-log.js'
import { REPO_ROOT } from '../../helpers/fixtures.js'

const OBSERVER = join(REPO_ROOT, 'libexec', 'observer.cjs')
const posix = process.platform !== 'win32'

interface Parsed {
  readonly events: ObservedEvent[]
  readonly stats: ObserverLogStats
}

const parseChunks = (chunks: readonly (string | Uint8Array)[], maxLineBytes?: number): Parsed => {
  const events: ObservedEvent[] = []
  const parser = createObserverParser((event) => events.push(event), maxLineBytes === undefined ? {} : { maxLineBytes })
  for (const chunk of chunks) parser.push(chunk)
  parser.end()
  return { events, stats: parser.stats() }
}

const at = { pid: 41, time: 1767225600.25 }
const SAMPLE: readonly object[] = [
  { kind: 'process', ...at, op: 'start', ppid: 7, argv: ['/usr/bin/node', '/p/install.js'], cwd: '/p' },
  { kind: 'path', ...at, op: 'fs.readFileSync', access: 'read', path: '/home/u/.npmrc' },
  { kind: 'path', ...at, op: 'fs.readFileSync', access: 'read', path: '/p/café ☕/x', errno: 'ENOENT' },
  { kind: 'exec', ...at, op: 'child_process.exec', file: '/bin/sh', argv: ['/bin/sh', '-c', 'echo hi'] },
  { kind: 'socket', ...at, op: 'net.Socket.connect', family: 'host', protocol: 'tcp', address: 'example.test', port: 443 },
  { kind: 'socket', ...at, op: 'dgram.send', family: 'ipv6', protocol: 'udp', address: '::1', port: 53 },
  { kind: 'dns', ...at, op: 'dns.lookup', name: 'example.test' },
]
const SAMPLE_TEXT = `${SAMPLE.map((event) => JSON.stringify(event)).join('\n')}\n`

describe('createObserverParser', () => {
  it('maps each kind of line to an ObservedEvent', () => {
    const { events, stats } = parseChunks([SAMPLE_TEXT])
    expect(events).toEqual(SAMPLE)
    expect(stats).toEqual({ events: SAMPLE.length, malformed: 0, overlong: 0, dropped: 0 })
  })

  it('gives the same events however the bytes are split, UTF-8 characters included', () => {
    const bytes = Buffer.from(SAMPLE_TEXT)
    const whole = parseChunks([bytes]).events
    for (let i = 0; i <= bytes.length; i += 1) {
      expect(parseChunks([bytes.subarray(0, i), bytes.subarray(i)]).events).toEqual(whole)
    }
    expect(parseChunks([...bytes].map((byte) => Uint8Array.of(byte))).events).toEqual(whole)
  })

  it('reads CRLF lines, skips blank ones and parses a last line without a newline', () => {
    const lines = SAMPLE.map((event) => JSON.stringify(event))
    const { events, stats } = parseChunks([`${lines.slice(0, 3).join('\r\n')}\r\n\r\n  \n${lines[3] ?? ''}`])
    expect(events).toEqual(SAMPLE.slice(0, 4))
    expect(stats.malformed).toBe(0)
  })

  it('counts a process that hit the event limit, without an event', () => {
    const { events, stats } = parseChunks([`{"kind":"dropped","pid":3,"time":1.5,"op":"limit","limit":10000}\n${SAMPLE_TEXT}`])
    expect(events).toHaveLength(SAMPLE.length)
    expect(stats.dropped).toBe(1)
  })

  it('counts hostile lines as malformed and never throws', () => {
    const path = { kind: 'path', pid: 5, time: 2, op: 'fs.statSync', access: 'stat', path: '/x' }
    const bad = [
      '{', 'null', '[]', '"path"', '17', '{"kind":"path"}', '{}',
      ...[
        { kind: 'fork', pid: 5, time: 2, op: 'clone', child: 6 },
        { kind: 'memory', pid: 5, time: 2, op: 'ptrace' },
        { ...path, kind: 'Path' },
        { ...path, pid: '5' }, { ...path, pid: 0 }, { ...path, pid: 1.5 }, { ...path, pid: 2 ** 40 }, { ...path, pid: -3 },
        { ...path, time: '2' }, { ...path, time: -1 }, { ...path, time: 1e300 },
        { ...path, op: '' }, { ...path, op: 'rm -rf /' }, { ...path, op: 'x'.repeat(101) }, { ...path, op: 7 },
        { ...path, errno: 'enoent' }, { ...path, errno: 2 }, { ...path, errno: null },
        { ...path, access: 'delete' }, { ...path, path: '' }, { ...path, path: ['/x'] },
        { ...path, extra: 1 }, { ...path, file: '/x' },
        { kind: 'exec', pid: 5, time: 2, op: 'child_process.spawn', file: 'sh', argv: ['sh', 7] },
        { kind: 'exec', pid: 5, time: 2, op: 'child_process.spawn', file: 'sh', argv: 'sh -c x' },
        { kind: 'socket', pid: 5, time: 2, op: 'net.Socket.connect', family: 'ipv4', protocol: 'tcp', address: '1.2.3.4', port: 70000 },
        { kind: 'socket', pid: 5, time: 2, op: 'net.Socket.connect', family: 'inet', protocol: 'tcp', address: '1.2.3.4', port: 80 },
        { kind: 'socket', pid: 5, time: 2, op: 'net.Socket.connect', family: 'ipv4', protocol: 'sctp', address: '1.2.3.4', port: 80 },
        { kind: 'dns', pid: 5, time: 2, op: 'dns.lookup', name: { toString: 'x' } },
        { kind: 'process', pid: 5, time: 2, op: 'start', ppid: -1, argv: [], cwd: '/' },
        { kind: 'process', pid: 5, time: 2, op: 'start', ppid: 1, argv: [], cwd: 3 },
        { kind: 'dropped', pid: 5, time: 2, op: 'limit', limit: 'all' },
      ].map((event) => JSON.stringify(event)),
      `{"__proto__":{"kind":"path"},${JSON.stringify(path).slice(1)}`,
      `{"constructor":{},${JSON.stringify(path).slice(1)}`,
      JSON.stringify(path).replace('"pid":5', '"pid":1e999'),
    ]
    const { events, stats } = parseChunks([`${bad.join('\n')}\n${JSON.stringify(path)}\n`])
    expect(events).toEqual([path])
    expect(stats).toEqual({ events: 1, malformed: bad.length, overlong: 0, dropped: 0 })
    expect(Object.getPrototypeOf(events[0])).toBe(Object.prototype)
  })

  it('skips a line longer than maxLineBytes as it arrives and reads on', () => {
    const long = JSON.stringify({ ...SAMPLE[1], path: `/${'a'.repeat(5000)}` })
    const text = `${long}\n${SAMPLE_TEXT}${long}`
    for (const size of [1, 7, 100, 4096, text.length]) {
      const chunks: string[] = []
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
      const { events, stats } = parseChunks(chunks, 4096)
      expect(events).toEqual(SAMPLE)
      expect(stats.overlong).toBe(2)
    }
  })

  it('refuses a push after end()', () => {
    const parser = createObserverParser(() => undefined)
    parser.end()
    expect(() => parser.push('x')).toThrow(/after end/)
  })
})

describe('observerNodeOptions', () => {
  it('puts the quoted --require first and keeps what was there', () => {
    expect(observerNodeOptions(undefined, '/opt/si/observer.cjs')).toBe('--require "/opt/si/observer.cjs"')
    expect(observerNodeOptions('  ', '/o.cjs')).toBe('--require "/o.cjs"')
    expect(observerNodeOptions('--max-old-space-size=512 --no-warnings', '/o.cjs')).toBe('--require "/o.cjs" --max-old-space-size=512 --no-warnings')
    const once = observerNodeOptions('--no-warnings', '/o.cjs')
    expect(observerNodeOptions(once, '/o.cjs')).toBe(once)
  })

  it('escapes quotes and backslashes, as a Windows path needs', () => {
    expect(observerNodeOptions(undefined, 'C:\\Program Files\\si\\observer.cjs')).toBe('--require "C:\\\\Program Files\\\\si\\\\observer.cjs"')
    expect(observerNodeOptions(undefined, '/a "b"/o.cjs')).toBe('--require "/a \\"b\\"/o.cjs"')
  })

  it('names the log variable', () => {
    expect(OBSERVER_ENV).toBe('SAFE_INSTALL_OBSERVE')
  })
})

interface Run {
  readonly stdout: string
  readonly stderr: string
  readonly code: number
  readonly events: ObservedEvent[]
  readonly stats: ObserverLogStats
  readonly lines: string[]
  /** The script's process. */
  readonly pid: number
  /** Its working directory, which holds the script. */
  readonly work: string
}

interface RunOptions {
  readonly ext?: string
  /** Without SAFE_INSTALL_OBSERVE (NODE_OPTIONS still loads the observer). */
  readonly observe?: boolean
  readonly observer?: string
  readonly nodeOptions?: string
  /** More files in its working directory. */
  readonly files?: Readonly<Record<string, string>>
}

describe('the preload observer (libexec/observer.cjs)', () => {
  let dir = ''
  let server: Server
  let udp: UdpSocket
  let port = 0
  let udpPort = 0
  let runs = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'si-observer-'))
    server = createServer((_, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
    udp = createSocket('udp4')
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
    udpPort = udp.address().port
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    udp.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Runs `source` as <work>/script.<ext> in a fresh work directory, under the observer unless `observe` is false. */
  const run = async (source: string, options: RunOptions = {}): Promise<Run> => {
    runs += 1
    const work = join(dir, `run-${runs}`)
    mkdirSync(work)
    const script = join(work, `script.${options.ext ?? 'cjs'}`)
    writeFileSync(script, source)
    for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(work, name), text)
    const log = join(dir, `run-${runs}.jsonl`)
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '', PORT: String(port), UDP_PORT: String(udpPort),
      NODE_OPTIONS: observerNodeOptions(options.nodeOptions, options.observer ?? OBSERVER),
      ...(options.observe === false ? {} : { [OBSERVER_ENV]: log }),
    }
    const result = await new Promise<{ stdout: string; stderr: string; code: number; pid: number }>((resolve) => {
      const child = execFile(process.execPath, [script], { cwd: work, env, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
        resolve({ stdout, stderr, code: typeof error?.code === 'number' ? error.code : error === null ? 0 : -1, pid: child.pid ?? 0 })
      })
    })
    const bytes = existsSync(log) ? readFileSync(log) : Buffer.alloc(0)
    const { events, stats } = parseChunks([bytes], 4000)
    return { ...result, events, stats, lines: bytes.toString('utf8').split('\n').filter((line) => line !== ''), work }
  }

  /** `op access path` of the path events under `work` (relative), errno appended. */
  const pathsIn = (events: readonly ObservedEvent[], work: string): string[] =>
    events.flatMap((event) => (event.kind === 'path' && event.path.startsWith(work)
      ? [`${event.op} ${event.access} ${event.path.slice(work.length + 1) || '.'}${event.errno === undefined ? '' : ` ${event.errno}`}`] : []))

  it.runIf(posix)('records each fs call once, with what it did to which path', async () => {
    const { events, stats, work, stderr } = await run(`
      const fs = require('fs')
      const util = require('util')
      const { pathToFileURL } = require('url')
      const main = async () => {
        fs.writeFileSync('fake-secret', 'token=not-a-secret')
        fs.readFileSync(__dirname + '/fake-secret', 'utf8')
        fs.readFileSync('fake-secret')
        try { fs.readFileSync('missing') } catch {}
        await new Promise((resolve) => fs.readFile('fake-secret', resolve))
        await fs.promises.readFile('fake-secret')
        await fs.promises.readFile('missing').catch(() => {})
        fs.existsSync('fake-secret')
        fs.statSync('fake-secret')
        fs.statSync('missing', { throwIfNoEntry: false })
        fs.readdirSync('.')
        await util.promisify(fs.stat)('fake-secret')
        fs.readFileSync(pathToFileURL(__dirname + '/fake-secret'))
        fs.readFileSync(Buffer.from('fake-secret'))
        fs.closeSync(fs.openSync('fake-secret', 'r'))
        fs.closeSync(fs.openSync('fake-secret', 'a'))
        fs.closeSync(fs.openSync('fake-secret', fs.constants.O_RDWR))
        fs.appendFileSync('fake-secret', '!')
        await new Promise((resolve) => fs.createReadStream('fake-secret').on('close', resolve).resume())
        fs.renameSync('fake-secret', 'renamed')
        fs.copyFileSync('renamed', 'copy')
        fs.symlinkSync('renamed', 'link')
        fs.mkdirSync('tree/a/b', { recursive: true })
        fs.writeFileSync('tree/a/b/f', 'x')
        fs.cpSync('tree', 'tree2', { recursive: true })
        fs.rmSync('tree2', { recursive: true })
        await new Promise((resolve) => fs.cp('tree', 'tree3', { recursive: true }, resolve))
        await new Promise((resolve) => fs.rm('tree3', { recursive: true }, resolve))
        await fs.promises.rm('tree', { recursive: true })
        fs.readFileSync(fs.openSync('copy', 'r'))
      }
      main()
    `)
    expect(stderr).toBe('')
    expect(pathsIn(events, work)).toEqual([
      'fs.writeFileSync write fake-secret',
      'fs.readFileSync read fake-secret',
      'fs.readFileSync read fake-secret',
      'fs.readFileSync read missing ENOENT',
      'fs.readFile read fake-secret',
      'fs.promises.readFile read fake-secret',
      'fs.promises.readFile read missing ENOENT',
      'fs.existsSync stat fake-secret',
      'fs.statSync stat fake-secret',
      'fs.statSync stat missing ENOENT',
      'fs.readdirSync stat .',
      'fs.stat stat fake-secret',
      'fs.readFileSync read fake-secret',
      'fs.readFileSync read fake-secret',
      'fs.openSync read fake-secret',
      'fs.openSync write fake-secret',
      'fs.openSync write fake-secret',
      'fs.appendFileSync write fake-secret',
      'fs.createReadStream read fake-secret',
      'fs.renameSync write fake-secret',
      'fs.renameSync write renamed',
      'fs.copyFileSync read renamed',
      'fs.copyFileSync write copy',
      'fs.symlinkSync write link',
      'fs.mkdirSync write tree/a/b',
      'fs.writeFileSync write tree/a/b/f',
      'fs.cpSync read tree',
      'fs.cpSync write tree2',
      'fs.rmSync write tree2',
      'fs.cp read tree',
      'fs.cp write tree3',
      'fs.rm write tree3',
      'fs.promises.rm write tree',
      'fs.openSync read copy',
    ])
    expect(stats).toMatchObject({ malformed: 0, overlong: 0, dropped: 0 })
  })

  it('starts with a process line and records nothing of module loading', async () => {
    const { events, pid, work, stdout } = await run(`require('./other.cjs'); import('./esm.mjs').then(() => console.log('loaded'))`, {
      files: { 'other.cjs': `require('./data.json')`, 'esm.mjs': `import './other.cjs'`, 'data.json': '{}' },
    })
    expect(stdout).toBe('loaded\n')
    expect(events[0]).toMatchObject({ kind: 'process', pid, op: 'start', ppid: process.pid, argv: [process.execPath, join(work, 'script.cjs')], cwd: work })
    expect(events.slice(1)).toEqual([])
  }, 30_000)

  it.runIf(posix)('records programs started through child_process, with the errno of one that is missing', async () => {
    const { events, stdout, pid } = await run(`
      const cp = require('child_process')
      cp.spawnSync('sh', ['-c', 'true'])
      cp.execSync('true')
      cp.spawnSync('si-no-such-program')
      cp.spawn('si-no-such-program').on('error', () => {})
      cp.execFile('sh', ['-c', 'true'], { shell: false }, () => {})
      cp.exec('echo hi', (error, out) => process.stdout.write(out))
    `)
    expect(stdout).toBe('hi\n')
    expect(events.filter((event) => event.kind === 'exec').map((event) => ({ ...event, time: 0 }))).toEqual([
      { kind: 'exec', pid, time: 0, op: 'child_process.spawnSync', file: 'sh', argv: ['sh', '-c', 'true'] },
      { kind: 'exec', pid, time: 0, op: 'child_process.execSync', file: '/bin/sh', argv: ['/bin/sh', '-c', 'true'] },
      { kind: 'exec', pid, time: 0, op: 'child_process.spawnSync', file: 'si-no-such-program', argv: ['si-no-such-program'], errno: 'ENOENT' },
      { kind: 'exec', pid, time: 0, op: 'child_process.spawn', file: 'si-no-such-program', argv: ['si-no-such-program'], errno: 'ENOENT' },
      { kind: 'exec', pid, time: 0, op: 'child_process.execFile', file: 'sh', argv: ['sh', '-c', 'true'] },
      { kind: 'exec', pid, time: 0, op: 'child_process.exec', file: '/bin/sh', argv: ['/bin/sh', '-c', 'echo hi'] },
    ])
  })

  it('keeps observing node children and workers given an env without the observer', async () => {
    const { events, pid, work, stdout } = await run(`
      const { spawnSync, fork } = require('child_process')
      const { Worker } = require('worker_threads')
      const child = spawnSync(process.execPath, ['child.cjs', 'spawned'], { env: { NODE_OPTIONS: '--no-warnings' } })
      process.stdout.write(child.stdout)
      fork('child.cjs', ['forked'], { env: {} }).on('exit', () => {
        new Worker(__dirname + '/child.cjs', { workerData: 'worker', env: {} }).on('exit', () => console.log('done'))
      })
    `, {
      files: {
        'child.cjs': `
          const tag = require('worker_threads').workerData ?? process.argv[2]
          require('fs').readFileSync(__dirname + '/data-' + tag)
          console.log(tag, String(process.env.NODE_OPTIONS).includes('--no-warnings'))
        `,
        'data-spawned': '', 'data-forked': '', 'data-worker': '',
      },
    })
    expect(stdout).toBe('spawned true\nforked false\nworker false\ndone\n')
    const starts = events.filter((event) => event.kind === 'process')
    const spawned = starts.find((event) => event.argv[2] === 'spawned')
    const forked = starts.find((event) => event.argv[2] === 'forked')
    expect(spawned).toMatchObject({ op: 'start', ppid: pid, argv: [process.execPath, join(work, 'child.cjs'), 'spawned'], cwd: work })
    expect(forked).toMatchObject({ op: 'start', ppid: pid })
    expect(starts.filter((event) => event.op === 'worker')).toMatchObject([{ pid }])
    const reads = events.flatMap((event) => (event.kind === 'path' && event.path.includes('data-') ? [[event.pid, event.path.slice(work.length + 1)]] : []))
    expect(reads).toEqual([[spawned?.pid, 'data-spawned'], [forked?.pid, 'data-forked'], [pid, 'data-worker']])
    expect(events.filter((event) => event.kind === 'exec').map((event) => event.op)).toEqual(['child_process.spawnSync', 'child_process.fork'])
  })

  it.runIf(posix)('records TCP connections (net, http, fetch), UDP datagrams and name lookups', async () => {
    const { events, stdout, pid } = await run(`
      import net from 'node:net'
      import http from 'node:http'
      import dgram from 'node:dgram'
      import dns from 'node:dns'
      const port = Number(process.env.PORT)
      const connect = (host) => new Promise((resolve) => net.connect(port, host, function () { this.end(); resolve() }))
      await connect('127.0.0.1')
      await connect('localhost')
      await new Promise((resolve) => http.get('http://127.0.0.1:' + port + '/', (res) => res.resume().on('end', resolve)))
      console.log(await (await fetch('http://127.0.0.1:' + port + '/')).text())
      const udp = dgram.createSocket('udp4')
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => udp.send('x', Number(process.env.UDP_PORT), '127.0.0.1', resolve))
      udp.close()
      await new Promise((resolve) => dns.lookup('localhost', resolve))
      await dns.promises.lookup('localhost')
      const socket = new net.Socket()
      console.log(socket.connect('/nonexistent/si.sock') === socket)
      socket.on('error', (error) => console.log(error.code))
    `, { ext: 'mjs' })
    expect(stdout).toBe('ok\ntrue\nENOENT\n')
    const seen = events.filter((event) => event.kind === 'socket' || event.kind === 'dns').map((event) => ({ ...event, time: 0 }))
    const tcp = { kind: 'socket', pid, time: 0, op: 'net.Socket.connect', protocol: 'tcp', port }
    expect(seen).toEqual([
      { ...tcp, family: 'ipv4', address: '127.0.0.1' },
      { ...tcp, family: 'host', address: 'localhost' },
      { ...tcp, family: 'ipv4', address: '127.0.0.1' },
      { ...tcp, family: 'ipv4', address: '127.0.0.1' },
      { kind: 'socket', pid, time: 0, op: 'dgram.send', family: 'ipv4', protocol: 'udp', address: '127.0.0.1', port: udpPort },
      { kind: 'dns', pid, time: 0, op: 'dns.lookup', name: 'localhost' },
      { kind: 'dns', pid, time: 0, op: 'dns.promises.lookup', name: 'localhost' },
      { kind: 'socket', pid, time: 0, op: 'net.Socket.connect', family: 'unix', protocol: 'unix', address: '/nonexistent/si.sock', port: 0 },
    ])
  })

  it.runIf(posix)('does not change what the code sees: results, errors, this, callbacks, promises, streams', async () => {
    const source = `
      const fs = require('fs')
      const util = require('util')
      const cp = require('child_process')
      const out = []
      const log = (...items) => out.push(items.map((item) => typeof item === 'string' ? item : JSON.stringify(item)).join(' '))
      const code = (fn) => { try { fn(); return 'ok' } catch (error) { return error.code + ' ' + error.message } }
      const main = async () => {
        fs.writeFileSync('a.txt', 'hello')
        log(fs.readFileSync('a.txt', 'utf8'), fs.readFileSync('a.txt').length, fs.existsSync('a.txt'), fs.existsSync('nope'))
        log(code(() => fs.readFileSync('nope')), code(() => fs.statSync(42n)), fs.statSync('nope', { throwIfNoEntry: false }))
        log(fs.readFileSync.name, fs.readFileSync.length, fs.promises.readFile.name, fs.realpathSync.native.name, cp.exec.length)
        log(typeof fs.exists[util.promisify.custom], await util.promisify(fs.exists)('a.txt'), (await util.promisify(cp.exec)('echo x')).stdout)
        await new Promise((resolve) => fs.readFile('a.txt', 'utf8', function (error, data) { log('cb', error, data, this === undefined || this === globalThis, arguments.length); resolve() }))
        await new Promise((resolve) => fs.stat('nope', (error) => { log('cb', error.code, error.syscall, error.path); resolve() }))
        let calls = 0
        fs.access('a.txt', () => { calls += 1 })
        await new Promise((resolve) => setTimeout(resolve, 50))
        log('calls', calls)
        log(await fs.promises.readFile('a.txt', 'utf8'), await fs.promises.readFile('nope').catch((error) => error.code + ' ' + error.message))
        log(await util.promisify(fs.readFile)('a.txt', 'utf8'), await util.promisify(fs.stat)('nope').catch((error) => error.code))
        const handle = await fs.promises.open('a.txt', 'r')
        log((await handle.readFile('utf8')), handle.constructor.name)
        await handle.close()
        const chunks = []
        await new Promise((resolve) => fs.createReadStream('a.txt', { encoding: 'utf8', highWaterMark: 2 }).on('data', (chunk) => chunks.push(chunk)).on('close', resolve))
        log(chunks)
        await new Promise((resolve) => fs.createReadStream('nope').on('error', (error) => { log('stream', error.code); resolve() }))
        const ws = fs.createWriteStream('b.txt')
        ws.end('written')
        await new Promise((resolve) => ws.on('finish', resolve))
        log(fs.readFileSync('b.txt', 'utf8'), fs.readdirSync('.').sort())
        log(cp.spawnSync('sh', ['-c', 'echo $0 "$@"; exit 3', 'x', 'y']).stdout.toString().trim(), cp.spawnSync('sh', ['-c', 'exit 3']).status)
        log(code(() => cp.execSync('exit 4', { stdio: 'ignore' })), cp.execFileSync('sh', ['-c', 'echo z'], { encoding: 'utf8' }))
        const child = cp.spawn('sh', ['-c', 'echo spawned'])
        log(child instanceof cp.ChildProcess, typeof child.pid)
        await new Promise((resolve) => child.stdout.on('data', (data) => log(String(data).trim())).on('close', resolve))
        log(await new Promise((resolve) => require('dns').lookup('127.0.0.1', (error, address, family) => resolve([error, address, family]))))
        log(await util.promisify(require('dns').lookup)('127.0.0.1'))
        console.log(out.join('\\n'))
      }
      main()
    `
    const observed = await run(source)
    const plain = await run(source, { observe: false })
    expect(plain.stderr).toBe('')
    expect(observed.stderr).toBe('')
    expect(observed.stdout).toBe(plain.stdout)
    expect(plain.stdout.split('\n')).toHaveLength(22)
    expect(plain.stdout).toContain('hello 5 true false')
    expect(observed.events.length).toBeGreaterThan(20)
  })

  it('leaves an unhandled rejection and an uncaught error as they were', async () => {
    for (const source of [`require('fs').promises.readFile('nope')`, `require('fs').readFile('nope', (error) => { throw error })`]) {
      const observed = await run(source)
      const plain = await run(source, { observe: false })
      const head = (result: Run): string[] => result.stderr.replaceAll(result.work, '<work>').split('\n').slice(0, 4)
      expect([observed.code, head(observed)]).toEqual([plain.code, head(plain)])
      expect(plain.code).toBe(1)
    }
  })

  it('does nothing without SAFE_INSTALL_OBSERVE', async () => {
    const before = readdirSync(dir)
    const { stdout, work } = await run(`
      const fs = require('fs')
      fs.statSync(__filename)
      console.log(fs.statSync.toString().includes('binding.stat'), Symbol.for('safe-install.observer') in globalThis)
    `, { observe: false })
    expect(stdout).toBe('true false\n')
    expect(readdirSync(dir).sort()).toEqual([...before, basename(work)].sort())
    expect(readdirSync(work)).toEqual(['script.cjs'])
  })

  it('stops at 10,000 events per process with one dropped line', async () => {
    const { events, stats, pid, lines } = await run(`
      const fs = require('fs')
      for (let i = 0; i < 10050; i += 1) fs.statSync(__filename)
    `)
    expect(events.filter((event) => event.pid === pid)).toHaveLength(10000)
    expect(stats).toMatchObject({ dropped: 1, malformed: 0, overlong: 0 })
    expect(JSON.parse(lines[lines.length - 1] ?? '')).toMatchObject({ kind: 'dropped', pid })
  })

  it.runIf(posix)('cuts long argv and paths to keep each line under 4000 bytes', async () => {
    const { events, stats, lines, pid } = await run(`
      const fs = require('fs')
      try { fs.statSync('x'.repeat(6000)) } catch {}
      require('child_process').spawnSync(process.execPath, ['-e', '0', ...Array.from({ length: 3000 }, (_, i) => 'arg-' + i + '-é')])
    `)
    expect(stats).toMatchObject({ malformed: 0, overlong: 0 })
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line) + 1))).toBeLessThan(4000)
    const exec = events.find((event) => event.kind === 'exec')
    expect(exec?.kind === 'exec' && exec.argv.slice(0, 3)).toEqual([process.execPath, '-e', '0'])
    expect(events.find((event) => event.kind === 'process' && event.pid !== pid)).toBeDefined()
    expect(events.find((event) => event.kind === 'path' && event.op === 'fs.statSync')).toMatchObject({ errno: 'ENAMETOOLONG' })
  })

  it.runIf(posix)('loads from a path with a space, a quote and a backslash (NODE_OPTIONS quoting)', async () => {
    const odd = join(dir, 'odd dir "q" \\ x')
    mkdirSync(odd)
    copyFileSync(OBSERVER, join(odd, 'observer.cjs'))
    const { events, pid } = await run(`require('child_process').spawnSync(process.execPath, ['-e', 'require("fs").statSync("/")'], { env: {} })`, {
      observer: join(odd, 'observer.cjs'), nodeOptions: '--no-warnings',
    })
    const child = events.find((event) => event.kind === 'process' && event.pid !== pid)
    expect(child).toMatchObject({ ppid: pid })
    expect(events.some((event) => event.kind === 'path' && event.pid === child?.pid && event.path === '/')).toBe(true)
  })
})

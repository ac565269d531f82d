import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createStraceParser, execArgv, execArgvTruncated, openFlags, opensForWrite, parseStrace, pathArgs, socketAddress,
  type StraceArg, type StraceEvent, type StraceExit, type StraceParserOptions, type StraceStats,
} from '../../../src/trace/strace-parser.js'
import { FIXTURES_DIR } from '../../helpers/fixtures.js'

/**
 * Real output of strace 6.1 (Linux x86_64), loopback addresses and temp dirs only. All but
 * node-mixed were recorded with the tracer's own flags (src/sandbox/select.ts):
 *   strace -D -f -qq -y -ttt -s 4096 -e signal=none -e trace=?open,?openat,... --seccomp-bpf -o FILE -- CMD
 * - c-fsops:         a C program making each traced call once (openat2, renameat2, symlinkat, execveat,
 *                    ptrace, process_vm_readv, an abstract unix socket, IPv4-mapped IPv6; bind traced too)
 * - c-thread-exec:   a C program whose second thread execs while two threads block opening a FIFO
 * - c-thread-exit:   the same program's main thread exits while a thread blocks
 * - node-argv:       node execs /bin/true with 5000 arguments, a 5000-byte one, escapes and UTF-8
 * - node-fd-paths:   node and sh in a directory named `d,ir) "q" <a>` and one named `café` (-y annotations)
 * - node-fs-threads: 80 concurrent stat/read/rename on libuv's threads (unfinished/resumed interleaved)
 * - node-net:        TCP to 127.0.0.1 and ::1, a unix socket, UDP to 127.0.0.1:9
 * - bwrap-sh:        sh, mv, cat, rm under `bwrap --unshare-user --unshare-pid` as nobody (pids 2..10, padded)
 * - node-mixed:      the task's flags without -y/-D: a file name with quotes and a newline, exec, sockets
 */
const FIXTURES = ['c-fsops', 'c-thread-exec', 'c-thread-exit', 'node-argv', 'node-fd-paths', 'node-fs-threads', 'node-net', 'bwrap-sh', 'node-mixed'] as const
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, 'strace', `${name}.txt`))

interface Parsed {
  readonly events: StraceEvent[]
  readonly exits: StraceExit[]
  readonly stats: StraceStats
}

const parseChunks = (chunks: readonly (string | Uint8Array)[], options: StraceParserOptions = {}): Parsed => {
  const events: StraceEvent[] = []
  const exits: StraceExit[] = []
  const parser = createStraceParser((event) => events.push(event), { ...options, onExit: (exit) => exits.push(exit) })
  for (const chunk of chunks) parser.push(chunk)
  parser.end()
  return { events, exits, stats: parser.stats() }
}

const parseText = (text: string, options: StraceParserOptions = {}): Parsed => parseChunks([text], options)

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
const random = (seed: number): (() => number) => {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const splitRandomly = (bytes: Buffer, seed: number, max: number): Buffer[] => {
  const next = random(seed)
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length;) {
    const size = 1 + Math.floor(next() * max)
    chunks.push(bytes.subarray(i, i + size))
    i += size
  }
  return chunks
}

const only = (events: readonly StraceEvent[], syscall: string): StraceEvent[] => events.filter((e) => e.syscall === syscall)
const str = (value: string, truncated = false): StraceArg => ({ kind: 'string', value, truncated })
const raw = (text: string): StraceArg => ({ kind: 'raw', text })

describe.each(FIXTURES)('recorded trace %s', (name) => {
  const bytes = fixture(name)
  const lines = bytes.toString('latin1').split('\n').filter((line) => line !== '')
  const whole = parseChunks([bytes])

  it('reads every line and joins every unfinished call with its resumption', () => {
    const unfinished = lines.filter((line) => line.endsWith(' <unfinished ...>')).length
    const resumed = lines.filter((line) => /^\d+ +[\d.]+ <\.\.\. \w+ resumed>/.test(line)).length
    const notices = lines.filter((line) => /^\d+ +[\d.]+ \+\+\+ /.test(line)).length
    expect(unfinished).toBe(resumed)
    expect(whole.stats).toEqual({ events: lines.length - resumed - notices, partial: 0, malformed: 0, overlong: 0, orphaned: 0 })
    expect(whole.exits).toHaveLength(notices)
  })

  it('agrees with a plain regex on every simple complete line (syscall, pid, time, path, result)', () => {
    const simple = /^(\d+) +(\d+\.\d+) (\w+)\((?:AT_FDCWD(?:<[^>\\]*>)?, )?"([^"\\]*)"[^"]*\) += (-?\d+|\?)(?:<([^>\\]*)>)?(?: (E[A-Z]+) \(.*\))?$/
    const byKey = new Map(whole.events.map((e) => [`${e.pid} ${e.time} ${e.syscall}`, e]))
    let checked = 0
    for (const line of lines) {
      const m = simple.exec(line)
      if (m === null) continue
      const [, pid, time, syscall, path, value, fdPath, errno] = m
      const event = byKey.get(`${pid} ${Number(time)} ${syscall}`)
      expect(event, line).toBeDefined()
      expect(event?.args.find((a) => a.kind === 'string'), line).toEqual(str(path ?? ''))
      expect(event?.result, line).toEqual({
        value: value === '?' ? null : Number(value), ...(errno === undefined ? {} : { errno }), ...(fdPath === undefined || fdPath === '' ? {} : { path: fdPath }),
      })
      checked += 1
    }
    expect(checked).toBeGreaterThan(name.startsWith('c-thread') ? 0 : 10)
  })

  it('gives the same events however the bytes are chunked', () => {
    expect(parseChunks(splitRandomly(bytes, 1, 4096)).events).toEqual(whole.events)
    expect(parseChunks(splitRandomly(bytes, 2, 7)).events).toEqual(whole.events)
    expect(parseChunks([bytes.toString('latin1')]).events).toEqual(whole.events)
  })
})

describe('recorded: file calls (c-fsops)', () => {
  const { events } = parseChunks([fixture('c-fsops')])
  const first = (syscall: string): StraceEvent => {
    const event = events.find((e) => e.syscall === syscall)
    if (event === undefined) throw new Error(`no ${syscall} in c-fsops`)
    return event
  }
  const W = '/tmp/si-strace/w'

  it('names the paths of each call, with the -y directory of a dirfd', () => {
    const at = (dirfd: string) => ({ dirfd: `${dirfd}<${W}>`, dir: W })
    expect(pathArgs(first('creat'))).toEqual([{ path: 'created.txt', role: 'path' }])
    expect(pathArgs(first('openat2'))).toEqual([{ path: 'o2.txt', role: 'path', ...at('3') }])
    expect(pathArgs(first('renameat2'))).toEqual([{ path: 'o2.txt', role: 'from', ...at('3') }, { path: 'renamed.txt', role: 'to', ...at('AT_FDCWD') }])
    expect(pathArgs(first('renameat'))).toEqual([{ path: 'renamed.txt', role: 'from', ...at('3') }, { path: 'r2.txt', role: 'to', ...at('3') }])
    expect(pathArgs(first('linkat'))).toEqual([{ path: 'r2.txt', role: 'from', ...at('3') }, { path: 'hard.txt', role: 'to', ...at('3') }])
    expect(pathArgs(first('link'))).toEqual([{ path: 'hard.txt', role: 'from' }, { path: 'hard2.txt', role: 'to' }])
    expect(pathArgs(first('symlinkat'))).toEqual([{ path: 'home/.ssh/id_rsa', role: 'linkTarget' }, { path: 'sym', role: 'to', ...at('3') }])
    expect(pathArgs(first('faccessat2'))).toEqual([{ path: 'o2.txt', role: 'path', ...at('3') }])
    expect(pathArgs(first('fchmodat'))).toEqual([{ path: 'r2.txt', role: 'path', ...at('3') }])
    expect(pathArgs(first('truncate'))).toEqual([{ path: 'r2.txt', role: 'path' }])
    expect(pathArgs(first('mkdir'))).toEqual([{ path: 'sub', role: 'path' }])
    expect(only(events, 'unlinkat').map(pathArgs)).toEqual([[{ path: 'sym', role: 'path', ...at('3') }], [{ path: 'sub', role: 'path', ...at('AT_FDCWD') }]])
    expect(pathArgs(first('newfstatat'))).toEqual([{ path: '/etc/ld.so.cache', role: 'path', dirfd: '3</etc/ld.so.cache>' }])
    expect(only(events, 'newfstatat').flatMap(pathArgs).filter((p) => p.path === '/etc/passwd')).toEqual([
      { path: '/etc/passwd', role: 'path' }, { path: '/etc/passwd', role: 'path' },
    ])
  })

  it('decodes octal escapes to UTF-8, an invalid byte to U+FFFD', () => {
    const odd = events.find((e) => e.syscall === 'openat' && pathArgs(e)[0]?.path.startsWith('caf') === true)
    expect(odd === undefined ? [] : pathArgs(odd)).toEqual([{ path: 'café \t\x01\x7f\uFFFD.txt', role: 'path', dirfd: `AT_FDCWD<${W}>`, dir: W }])
    expect(odd?.result).toEqual({ value: 4, path: `${W}/café \t\x01\x7f\uFFFD.txt` })
  })

  it('tells opens that write from opens that read', () => {
    const opened = only(events, 'openat').map((e) => [pathArgs(e)[0]?.path, opensForWrite(e)])
    expect(opened).toContainEqual(['home/.npmrc', false])
    expect(opened).toContainEqual(['/bin/true', false])
    expect(opened.filter(([, write]) => write).map(([path]) => path)).toEqual(['café \t\x01\x7f\uFFFD.txt'])
    expect(openFlags(first('openat2'))).toEqual(['O_RDWR', 'O_CREAT'])
    expect(opensForWrite(first('openat2'))).toBe(true)
    expect(opensForWrite(first('creat'))).toBe(true)
    expect(openFlags(first('renameat'))).toBeNull()
    expect(only(events, 'openat').find((e) => pathArgs(e)[0]?.path === 'home/.aws/credentials')?.result).toEqual({ value: -1, errno: 'ENOENT' })
  })

  it('keeps structs, arrays and the result of process-inspection calls', () => {
    expect(first('ptrace').args).toEqual([raw('PTRACE_TRACEME')])
    expect(first('ptrace').result).toEqual({ value: -1, errno: 'EPERM' })
    const readv = first('process_vm_readv')
    expect(readv.args[1]).toEqual({ kind: 'array', truncated: false, items: [{ kind: 'struct', truncated: false, fields: { iov_base: str('abc'), iov_len: raw('3') } }] })
    expect(readv.args).toHaveLength(6)
    const how = first('openat2').args[2]
    expect(how).toEqual({ kind: 'struct', truncated: false, fields: { flags: raw('O_RDWR|O_CREAT'), mode: raw('0640'), resolve: raw('RESOLVE_BENEATH') } })
  })

  it('reads the address of connect, bind and sendto', () => {
    const sockets = events.filter((e) => ['connect', 'bind', 'sendto'].includes(e.syscall)).map((e) => [e.syscall, socketAddress(e), e.result.errno ?? e.result.value])
    expect(sockets).toEqual([
      ['connect', { family: 'unix', path: 'nosuch.sock' }, 'ENOENT'],
      ['bind', { family: 'unix', path: '@abstract-si' }, 0],
      ['sendto', { family: 'inet6', address: '::ffff:127.0.0.1', port: 53 }, 1],
      ['connect', { family: 'inet', address: '127.0.0.1', port: 9 }, 0],
      ['sendto', null, 4],
      ['bind', { family: 'inet6', address: 'fe80::1', port: 0 }, 'EADDRNOTAVAIL'],
    ])
    expect(only(events, 'sendto')[1]?.args[1]).toEqual(str('x\n"y'))
    const scoped = only(events, 'bind')[1]?.args[1]
    expect(scoped?.kind === 'struct' ? scoped.fields['sin6_scope_id'] : undefined).toEqual({ kind: 'call', name: 'if_nametoindex', args: [str('lo')] })
  })

  it('reads exec calls: execveat on a descriptor, a failed execve joined from its resumption', () => {
    const at = first('execveat')
    expect(pathArgs(at)).toEqual([{ path: '/usr/bin/true', role: 'path', dirfd: '11</usr/bin/true>' }])
    expect(execArgv(at)).toEqual(['true'])
    expect(at.result).toEqual({ value: 0 })
    const failed = only(events, 'execve')[1]
    expect(failed === undefined ? [] : pathArgs(failed)).toEqual([{ path: '/nonexistent/bin', role: 'path' }])
    expect(failed?.result).toEqual({ value: -1, errno: 'ENOENT' })
    expect(failed?.args[2]).toEqual(raw('0x7ffea4226a98 /* 0 vars */'))
    expect(first('clone').result.value).toBe(at.pid)
  })
})

describe('recorded: threads (c-thread-exec, c-thread-exit, node-fs-threads)', () => {
  it('gives the execve of a non-leader thread to the leader pid it takes over', () => {
    const { events, exits } = parseChunks([fixture('c-thread-exec')])
    expect(exits).toEqual([{ kind: 'superseded', pid: 27110, time: 1795850330.276919, by: 27118 }])
    const exec = only(events, 'execve').find((e) => execArgv(e)[0] === '/bin/true')
    expect(exec).toMatchObject({ pid: 27110, time: 1795850330.275382, result: { value: 0 }, partial: false })
    expect(exec === undefined ? [] : execArgv(exec)).toEqual(['/bin/true', 'from-thread'])
    expect(only(events, 'openat').filter((e) => e.result.value === null).map((e) => [e.pid, pathArgs(e)[0]?.path])).toEqual([
      [27110, '/tmp/si-strace/ff'], [27117, '/tmp/si-strace/ff'],
    ])
  })

  it('still joins that execve when the superseded line is missing', () => {
    const text = fixture('c-thread-exec').toString('latin1').split('\n').filter((line) => !line.includes('+++ superseded')).join('\n')
    const { events, stats } = parseText(text)
    expect(stats.orphaned).toBe(0)
    expect(only(events, 'execve').map((e) => [e.pid, execArgv(e)[0], e.result.value])).toEqual([[27110, './mtexec', 0], [27110, '/bin/true', 0]])
  })

  it('reads `= ?` of a call cut by exit_group', () => {
    const { events } = parseChunks([fixture('c-thread-exit')])
    expect(events.at(-1)).toMatchObject({ pid: 27127, syscall: 'openat', result: { value: null }, partial: false })
  })

  it('joins the interleaved calls of libuv threads with their own arguments', () => {
    const { events } = parseChunks([fixture('node-fs-threads')])
    expect(new Set(events.map((e) => e.pid)).size).toBeGreaterThanOrEqual(5)
    const renames = only(events, 'rename')
    expect(renames).toHaveLength(160)
    for (const rename of renames) {
      const [from, to] = pathArgs(rename)
      expect(from?.path.replace(/\/[fg](\d)\.txt$/, '/$1')).toBe(to?.path.replace(/\/[fg](\d)\.txt$/, '/$1'))
      expect(rename.result.value === 0 || rename.result.errno === 'ENOENT').toBe(true)
    }
    const stats = only(events, 'statx').filter((e) => pathArgs(e)[0]?.path.startsWith('/tmp/si-strace/w3/') === true)
    expect(stats.length).toBeGreaterThan(40)
    for (const stat of stats) {
      expect(stat.args).toHaveLength(5)
      expect(stat.args[4]).toMatchObject({ kind: 'struct', truncated: true, fields: { stx_mode: raw('S_IFREG|0644') } })
    }
  })
})

describe('recorded: exec argv (node-argv, node-mixed)', () => {
  const { events } = parseChunks([fixture('node-argv')])
  const [, many, odd, sh] = only(events, 'execve')

  it('keeps the 4096 arguments strace prints and says the rest were cut', () => {
    const argv = many === undefined ? [] : execArgv(many)
    expect(argv).toHaveLength(4096)
    expect(argv.slice(0, 3)).toEqual(['/bin/true', '0', '1'])
    expect(argv.at(-1)).toBe('4094')
    expect(many !== undefined && execArgvTruncated(many)).toBe(true)
  })

  it('decodes escapes and UTF-8, and marks an argument cut at -s', () => {
    expect(odd === undefined ? [] : execArgv(odd)).toEqual(['/bin/true', 'x'.repeat(4096), 'tab\there', 'nl\nq"\\', 'café', '\u{1F600}', ''])
    expect(odd?.args[1]).toMatchObject({ kind: 'array', truncated: false })
    expect(odd !== undefined && execArgvTruncated(odd)).toBe(true)
    expect(sh === undefined ? [] : execArgv(sh)).toEqual(['/bin/sh', '-c', 'exit 0'])
    expect(sh !== undefined && execArgvTruncated(sh)).toBe(false)
  })

  it('reads the task-flag trace: a quoted name with a newline, a rename, sh argv', () => {
    const mixed = parseChunks([fixture('node-mixed')]).events
    expect(only(mixed, 'rename').map(pathArgs)).toEqual([[{ path: 'a "quoted"\nname.txt', role: 'from' }, { path: 'b.txt', role: 'to' }]])
    const sh = only(mixed, 'execve').find((e) => execArgv(e)[0] === '/bin/sh')
    expect(sh === undefined ? [] : execArgv(sh)).toEqual(['/bin/sh', '-c', 'true; echo "$1" >/dev/null', 'sh', 'a'.repeat(200)])
    expect(only(mixed, 'openat').filter((e) => pathArgs(e)[0]?.path === '/etc/hostname' && e.result.value !== null && e.result.value > 0)).toHaveLength(20)
  })
})

describe('recorded: -y annotations and namespaces (node-fd-paths, bwrap-sh, node-net)', () => {
  it('decodes a directory annotation whose name has commas, parens, quotes and angle brackets', () => {
    const { events } = parseChunks([fixture('node-fd-paths')])
    const dir = '/tmp/si-strace/y/d,ir) "q" <a>'
    const rename = only(events, 'renameat2')[0]
    expect(rename === undefined ? [] : pathArgs(rename)).toEqual([
      { path: 'new file', role: 'from', dirfd: 'AT_FDCWD</tmp/si-strace/y/d,ir) \\"q\\" \\74a\\76>', dir },
      { path: 'moved', role: 'to', dirfd: 'AT_FDCWD</tmp/si-strace/y/d,ir) \\"q\\" \\74a\\76>', dir },
    ])
    const described = only(events, 'statx').flatMap(pathArgs).filter((p) => p.dirfd?.startsWith('18<') === true).map((p) => p.path)
    expect(described).toEqual([dir, '/tmp/si-strace/y/café'])
    expect(only(events, 'mkdir').flatMap(pathArgs).map((p) => p.path)).toEqual([`${dir}/sub`, '/tmp/si-strace/y/café/sub'])
  })

  it('merges clone3 `{...} => {parent_tid=[N]}` and reads vfork joined from its resumption', () => {
    const { events } = parseChunks([fixture('node-fd-paths')])
    const clone3 = only(events, 'clone3')[0]
    expect(clone3?.args[0]).toMatchObject({ kind: 'struct', fields: { exit_signal: raw('0'), parent_tid: { kind: 'array', items: [raw(String(clone3?.result.value))] } } })
    const vforks = only(events, 'vfork')
    expect(vforks).toHaveLength(2)
    expect(vforks.map((e) => e.args)).toEqual([[], []])
    const children = new Set(only(events, 'execve').map((e) => e.pid))
    expect(vforks.every((e) => children.has(e.result.value ?? -1))).toBe(true)
  })

  it('reads the padded pids of a pid namespace', () => {
    const { events } = parseChunks([fixture('bwrap-sh')])
    expect(only(events, 'execve').map((e) => [e.pid, execArgv(e)[0]])).toEqual([[2, 'sh'], [8, 'mv'], [9, 'cat'], [10, 'rm']])
    const w4 = { dirfd: 'AT_FDCWD</tmp/si-strace/w4>', dir: '/tmp/si-strace/w4' }
    expect(only(events, 'renameat2').map(pathArgs)).toEqual([[{ path: 'made.txt', role: 'from', ...w4 }, { path: 'moved.txt', role: 'to', ...w4 }]])
    const tty = only(events, 'newfstatat').find((e) => e.args[0]?.kind === 'raw' && e.args[0].text === '1</dev/null>')
    expect(tty?.args[2]).toMatchObject({ fields: { st_rdev: { kind: 'call', name: 'makedev', args: [raw('0x1'), raw('0x3')] } } })
  })

  it('reads TCP, IPv6, unix and UDP addresses', () => {
    const { events } = parseChunks([fixture('node-net')])
    const sockets = events.filter((e) => ['connect', 'sendmsg'].includes(e.syscall)).map((e) => [e.syscall, socketAddress(e), e.result.errno ?? e.result.value])
    expect(sockets).toEqual([
      ['connect', { family: 'inet', address: '127.0.0.1', port: 42355 }, 'EINPROGRESS'],
      ['connect', { family: 'inet6', address: '::1', port: 40179 }, 'EINPROGRESS'],
      ['connect', { family: 'unix', path: '/tmp/si-strace/w2/srv.sock' }, 0],
      ['sendmsg', { family: 'inet', address: '127.0.0.1', port: 9 }, 6],
    ])
  })
})

describe('lines longer than maxLineBytes', () => {
  const huge = `5 1.5 execve("/usr/bin/curl", ["curl", "-d", "${'y'.repeat(100_000)}", "https://x.example"], 0x1 /* 2 vars */) = 0\n`

  it('parses the start of the line as a partial event, drops the rest as it arrives, and goes on', () => {
    const chunks = [...splitRandomly(Buffer.from(huge), 3, 3000), Buffer.from('6 1.6 unlink("/tmp/a") = 0\n')]
    const { events, stats } = parseChunks(chunks, { maxLineBytes: 300 })
    expect(stats).toMatchObject({ overlong: 1, partial: 1, malformed: 0, events: 2 })
    const [exec, unlink] = events
    expect(exec).toMatchObject({ pid: 5, time: 1.5, syscall: 'execve', partial: true, result: { value: null } })
    expect(exec === undefined ? [] : pathArgs(exec)).toEqual([{ path: '/usr/bin/curl', role: 'path' }])
    const argv = exec === undefined ? [] : execArgv(exec)
    expect(argv.slice(0, 2)).toEqual(['curl', '-d'])
    expect(argv[2]?.length).toBeLessThan(300)
    expect(exec !== undefined && execArgvTruncated(exec)).toBe(true)
    expect(unlink === undefined ? [] : pathArgs(unlink)).toEqual([{ path: '/tmp/a', role: 'path' }])
  })

  it('cuts a line exactly at the limit whatever the chunk boundaries', () => {
    const line = `7 2.0 openat(AT_FDCWD, "/${'d'.repeat(200)}", O_RDONLY) = 3\n`
    const limit = line.length - 10
    const expected = parseText(line, { maxLineBytes: limit }).events
    expect(expected[0]?.partial).toBe(true)
    for (let cut = 1; cut < line.length; cut += 17) {
      expect(parseChunks([line.slice(0, cut), line.slice(cut)], { maxLineBytes: limit }).events).toEqual(expected)
    }
    expect(parseText(line, { maxLineBytes: line.length }).events[0]).toMatchObject({ partial: false, result: { value: 3 } })
  })

  it('handles an overlong resumption: the start is joined and parsed as partial', () => {
    const { events, stats } = parseText(`8 1.0 statx(AT_FDCWD, "/x", 0, STATX_ALL,  <unfinished ...>\n8 1.1 <... statx resumed>{stx_mask=${'A|'.repeat(500)}B}) = 0\n`, { maxLineBytes: 200 })
    expect(stats).toMatchObject({ overlong: 1, partial: 1, orphaned: 0 })
    expect(events[0]).toMatchObject({ pid: 8, time: 1.0, syscall: 'statx', partial: true })
    expect(events[0] === undefined ? [] : pathArgs(events[0])).toEqual([{ path: '/x', role: 'path' }])
  })

  it('counts an overlong line that is not a call as malformed', () => {
    expect(parseText(`${'z'.repeat(5000)}\n9 1.0 unlink("/b") = 0\n`, { maxLineBytes: 100 }).stats).toMatchObject({ overlong: 1, malformed: 1, events: 1 })
  })
})

describe('unfinished calls', () => {
  it('emits a call that never resumed as partial at end(), with the arguments it had', () => {
    const { events, stats } = parseText('3 1.0 connect(4, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.0.0.1")}, 16 <unfinished ...>\n')
    expect(stats).toMatchObject({ events: 1, partial: 1 })
    expect(events[0]).toMatchObject({ pid: 3, time: 1.0, partial: true, result: { value: null } })
    expect(events[0] === undefined ? null : socketAddress(events[0])).toEqual({ family: 'inet', address: '10.0.0.1', port: 22 })
  })

  it('flushes the pending call of a pid that starts another (a reused pid), and on its exit notice', () => {
    const { events } = parseText([
      '3 1.0 openat(AT_FDCWD, "/a", O_RDONLY <unfinished ...>',
      '3 2.0 unlink("/b") = 0',
      '4 3.0 openat(AT_FDCWD, "/c", O_RDONLY <unfinished ...>',
      '4 4.0 +++ killed by SIGKILL +++',
      '',
    ].join('\n'))
    expect(events.map((e) => [e.pid, pathArgs(e)[0]?.path, e.partial])).toEqual([[3, '/a', true], [3, '/b', false], [4, '/c', true]])
  })

  it('counts a resumption without its start, or of another call, as orphaned', () => {
    const { events, stats } = parseText('5 1.0 <... read resumed>"x", 1) = 1\n6 1.0 openat(AT_FDCWD, "/d", O_RDONLY <unfinished ...>\n6 1.1 <... statx resumed>{}) = 0\n')
    expect(stats).toMatchObject({ orphaned: 2, partial: 1, malformed: 0 })
    expect(events.map((e) => [e.syscall, e.partial])).toEqual([['openat', true]])
  })

  it('joins a clone3 resumed with `=>` and a call detached mid-way', () => {
    const { events } = parseText([
      '7 1.0 clone3({flags=CLONE_VM, exit_signal=0} <unfinished ...>',
      '7 1.1 <... clone3 resumed> => {parent_tid=[12]}, 88) = 12',
      '8 1.2 openat(AT_FDCWD, "/e", O_RDONLY <detached ...>',
      '',
    ].join('\n'))
    expect(events[0]?.args).toEqual([{ kind: 'struct', truncated: false, fields: { flags: raw('CLONE_VM'), exit_signal: raw('0'), parent_tid: { kind: 'array', truncated: false, items: [raw('12')] } } }, raw('88')])
    expect(events[0]?.result).toEqual({ value: 12 })
    expect(events[1]).toMatchObject({ syscall: 'openat', partial: true, args: [raw('AT_FDCWD'), str('/e'), raw('O_RDONLY')] })
  })

  it('bounds how many calls wait for their resumption', () => {
    const lines = Array.from({ length: 4097 }, (_, i) => `${i + 1} 1.0 openat(AT_FDCWD, "/p${i + 1}", O_RDONLY <unfinished ...>\n`)
    const events: StraceEvent[] = []
    const parser = createStraceParser((e) => events.push(e))
    for (const line of lines) parser.push(line)
    expect(events.map((e) => [e.pid, e.partial])).toEqual([[1, true]])
    parser.end()
    expect(events).toHaveLength(4097)
  })
})

describe('line shapes', () => {
  it('reads results: errno, ?, ? with ERESTARTSYS, hex, a -y path, a comment, tabs before =', () => {
    const { events } = parseText([
      '1 1.0 openat(AT_FDCWD, "/x", O_RDONLY) = -1 EACCES (Permission denied)',
      '1 1.1 execve("/gone", ["gone"], 0x1 /* 2 vars */) = ?',
      '1 1.2 connect(3, {sa_family=AF_UNIX, sun_path="/s"}, 110) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)',
      '1 1.3 openat(AT_FDCWD, "/y", O_RDONLY) = 0x10',
      '1 1.4 openat(AT_FDCWD, "/z", O_RDONLY) = 5</z>',
      '1 1.5 unlink("/w")                          = 0',
      '1 1.6 access("/v", F_OK) = 0 (Timeout)',
      '',
    ].join('\n'))
    expect(events.map((e) => e.result)).toEqual([
      { value: -1, errno: 'EACCES' }, { value: null }, { value: null, errno: 'ERESTARTSYS' }, { value: 16 }, { value: 5, path: '/z' }, { value: 0 }, { value: 0 },
    ])
  })

  it('accepts the `[pid N]` prefix, skips signals and blank lines, parses a last line without newline', () => {
    const { events, stats } = parseText('[pid  42] 1.5 unlink("/a") = 0\n\n42 1.6 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---\n43 1.7 unlink("/b") = 0')
    expect(events.map((e) => [e.pid, e.time, pathArgs(e)[0]?.path])).toEqual([[42, 1.5, '/a'], [43, 1.7, '/b']])
    expect(stats.malformed).toBe(0)
  })

  it('reports exits, kills and core dumps', () => {
    const { exits, stats } = parseText('8 1.0 +++ exited with 3 +++\n9 1.2 +++ killed by SIGKILL +++\n10 1.3 +++ killed by SIGSEGV (core dumped) +++\n')
    expect(exits).toEqual([
      { kind: 'exited', pid: 8, time: 1.0, code: 3 },
      { kind: 'killed', pid: 9, time: 1.2, signal: 'SIGKILL', coreDumped: false },
      { kind: 'killed', pid: 10, time: 1.3, signal: 'SIGSEGV', coreDumped: true },
    ])
    expect(stats.malformed).toBe(0)
  })

  it('decodes C escapes: octal before a digit, hex, quotes, backslashes; keeps `...` of a cut string', () => {
    const { events } = parseText('1 1.0 openat(AT_FDCWD, "a\\nb\\t\\"c\\\\d\\x41\\0012\\303\\251", O_RDONLY) = 3\n1 1.1 openat(AT_FDCWD, "/home/u/.ssh/id_rsa"..., O_RDONLY) = 4\n')
    expect(events[0]?.args[1]).toEqual(str('a\nb\t"c\\dA\x012é'))
    expect(events[1]?.args[1]).toEqual(str('/home/u/.ssh/id_rsa', true))
  })

  it('does not split arguments on commas or brackets inside strings, calls and comments', () => {
    const { events } = parseText('1 1.0 execve("/bin/sh", ["sh", "-c", "a, b) ] } { ( \\\\"], 0x7f /* 3 vars, really */) = 0\n')
    expect(events[0]?.args).toEqual([str('/bin/sh'), { kind: 'array', truncated: false, items: [str('sh'), str('-c'), str('a, b) ] } { ( \\')] }, raw('0x7f /* 3 vars, really */')])
  })

  it('keys unnamed struct fields by position, and inet_pton by the field it fills', () => {
    const { events } = parseText('1 1.0 connect(3, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), 7}, 28) = 0\n')
    const sockaddr = events[0]?.args[1]
    expect(sockaddr?.kind === 'struct' ? Object.keys(sockaddr.fields) : []).toEqual(['sa_family', 'sin6_port', 'sin6_addr', '#3'])
    expect(events[0] === undefined ? null : socketAddress(events[0])).toEqual({ family: 'inet6', address: '2001:db8::1', port: 443 })
  })

  it('reads bytes split inside a UTF-8 character, and text chunks with non-ASCII characters', () => {
    const line = Buffer.from('1 1.0 unlink("/tmp/é/😀") = 0\n', 'utf8')
    const at = line.indexOf(0xc3) + 1
    expect(parseChunks([line.subarray(0, at), line.subarray(at)]).events[0]?.args[0]).toEqual(str('/tmp/é/😀'))
    expect(parseChunks(['1 1.0 unlink("/tmp/é', '/😀") = 0\n']).events[0]?.args[0]).toEqual(str('/tmp/é/😀'))
  })

  it('counts malformed lines, never throws, and goes on', () => {
    const bad = [
      'garbage',
      'x 1.0 unlink("/a") = 0',
      '1 1.0 openat(AT_FDCWD, "/a"',
      '1 1.0 openat(AT_FDCWD, "/a") =',
      '1 1.0 openat(AT_FDCWD, "/a"]) = 3',
      '1 1.0 openat(AT_FDCWD, "/a") 3',
      '1 1.0 (AT_FDCWD) = 3',
      '1 1.0 +++ exited sometime +++',
      '1 1.0 <... resumed>) = 0',
    ]
    const { events, stats } = parseText(`${bad.map((line) => `${line}\n2 2.0 unlink("/ok") = 0`).join('\n')}\n`)
    expect(stats).toMatchObject({ malformed: bad.length, events: bad.length })
    expect(events.every((e) => pathArgs(e)[0]?.path === '/ok')).toBe(true)
  })

  it('survives mutated recorded lines without throwing, and every event it emits is well-formed', () => {
    const next = random(7)
    const source = fixture('node-fd-paths').toString('latin1').split('\n')
    const alphabet = '"\\()[]{},<>=. \n/*x0'
    const mutated = Array.from({ length: 3000 }, () => {
      const chars = [...(source[Math.floor(next() * source.length)] ?? '')]
      for (let n = 1 + Math.floor(next() * 4); n > 0; n -= 1) {
        const at = Math.floor(next() * (chars.length + 1))
        if (next() < 0.5) chars.splice(at, 1)
        else chars.splice(at, 0, alphabet[Math.floor(next() * alphabet.length)] ?? '')
      }
      return chars.join('')
    })
    const { events, stats } = parseText(mutated.join('\n'), { maxLineBytes: 4096 })
    expect(stats.malformed).toBeGreaterThan(100)
    expect(events.length).toBeGreaterThan(1000)
    for (const event of events) {
      expect(event.syscall).toMatch(/^[A-Za-z0-9_]+$/)
      expect(Number.isFinite(event.time) && Number.isInteger(event.pid)).toBe(true)
      expect(() => [pathArgs(event), openFlags(event), execArgv(event), socketAddress(event)]).not.toThrow()
    }
  })

  it('refuses a push after end() (a caller bug), and end() twice is harmless', () => {
    const parser = createStraceParser(() => undefined)
    parser.end()
    parser.end()
    expect(() => parser.push('1 1.0 unlink("/a") = 0\n')).toThrow(/after end/)
  })

  it('parseStrace reads a whole text at once', () => {
    expect(parseStrace('1 1.0 unlink("/a") = 0\n').events.map((e) => e.syscall)).toEqual(['unlink'])
  })
})

describe('helpers on hand-written calls', () => {
  const call = (line: string): StraceEvent => {
    const event = parseText(`${line}\n`).events[0]
    if (event === undefined) throw new Error(`not parsed: ${line}`)
    return event
  }

  it('opensForWrite: write, read-write, create and truncate write; append alone or read-only do not', () => {
    expect(opensForWrite(call('1 1.0 open("/a", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3'))).toBe(true)
    expect(opensForWrite(call('1 1.0 openat(AT_FDCWD, "/a", O_RDWR) = 3'))).toBe(true)
    expect(opensForWrite(call('1 1.0 openat(AT_FDCWD, "/a", O_RDONLY|O_CREAT, 0600) = 3'))).toBe(true)
    expect(opensForWrite(call('1 1.0 openat(AT_FDCWD, "/a", O_RDONLY|O_TRUNC) = 3'))).toBe(true)
    expect(opensForWrite(call('1 1.0 openat(AT_FDCWD, "/a", O_RDONLY|O_APPEND) = 3'))).toBe(false)
    expect(opensForWrite(call('1 1.0 openat(AT_FDCWD, "/a", O_RDONLY|O_NOFOLLOW|O_CLOEXEC) = 3'))).toBe(false)
    expect(openFlags(call('1 1.0 open("/a", O_RDONLY) = 3'))).toEqual(['O_RDONLY'])
    expect(openFlags(call('1 1.0 unlink("/a") = 0'))).toBeNull()
  })

  it('pathArgs: an absolute path ignores its dirfd; a plain dirfd is kept without dir; unknown calls name none', () => {
    expect(pathArgs(call('1 1.0 openat(3</w>, "/etc/passwd", O_RDONLY) = 4'))).toEqual([{ path: '/etc/passwd', role: 'path' }])
    expect(pathArgs(call('1 1.0 openat(3, "x", O_RDONLY) = 4'))).toEqual([{ path: 'x', role: 'path', dirfd: '3' }])
    expect(pathArgs(call('1 1.0 newfstatat(3, "", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH) = 0'))).toEqual([])
    expect(pathArgs(call('1 1.0 openat(AT_FDCWD, 0x7f00, O_RDONLY) = -1 EFAULT (Bad address)'))).toEqual([])
    expect(pathArgs(call('1 1.0 symlink("../../.ssh/id_rsa", "/w/k") = 0'))).toEqual([{ path: '../../.ssh/id_rsa', role: 'linkTarget' }, { path: '/w/k', role: 'to' }])
    expect(pathArgs(call('1 1.0 close(3) = 0'))).toEqual([])
  })

  it('execArgv: NULL argv is empty and whole; an unreadable one is flagged', () => {
    const nullArgv = call('1 1.0 execve("/bin/x", NULL, NULL) = 0')
    expect([execArgv(nullArgv), execArgvTruncated(nullArgv)]).toEqual([[], false])
    const unreadable = call('1 1.0 execve("/bin/x", 0x1000, NULL) = -1 EFAULT (Bad address)')
    expect([execArgv(unreadable), execArgvTruncated(unreadable)]).toEqual([[], true])
    const badItem = call('1 1.0 execve("/bin/x", ["x", 0x1000], NULL) = -1 EFAULT (Bad address)')
    expect([execArgv(badItem), execArgvTruncated(badItem)]).toEqual([['x', '0x1000'], true])
    expect(execArgv(call('1 1.0 unlink("/a") = 0'))).toEqual([])
  })

  it('socketAddress: other families, undecoded inet, unnamed unix, calls without an address', () => {
    expect(socketAddress(call('1 1.0 connect(3, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 0'))).toEqual({ family: 'other', name: 'AF_NETLINK' })
    expect(socketAddress(call('1 1.0 connect(3, {sa_family=AF_INET, sa_data="\\0\\0"}, 4) = -1 EINVAL (Invalid argument)'))).toEqual({ family: 'other', name: 'AF_INET' })
    expect(socketAddress(call('1 1.0 bind(3, {sa_family=AF_UNIX}, 2) = 0'))).toEqual({ family: 'unix', path: '' })
    expect(socketAddress(call('1 1.0 sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="a", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 1'))).toBeNull()
    expect(socketAddress(call('1 1.0 connect(3, 0x7f00, 16) = -1 EFAULT (Bad address)'))).toBeNull()
    expect(socketAddress(call('1 1.0 unlink("/a") = 0'))).toBeNull()
  })
})

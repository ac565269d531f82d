import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createStraceParser, decodeCString, execArgv, opensForWrite, pathArgs, socketAddress, type StraceEvent,
} from '../../../src/trace/strace-parser.js'
import { FIXTURES_DIR } from '../../helpers/fixtures.js'

/** Real output of `strace -f -qq -ttt -s 4096` on a node script (files, rename of an awkward name, exec, TCP, IPv6, UDP, 20 concurrent reads). */
const RECORDED = readFileSync(join(FIXTURES_DIR, 'strace', 'node-mixed.txt'), 'latin1')

const parseAll = (text: string | string[], maxLineBytes?: number): { events: StraceEvent[]; exits: string[]; stats: ReturnType<ReturnType<typeof createStraceParser>['stats']> } => {
  const events: StraceEvent[] = []
  const exits: string[] = []
  const parser = createStraceParser((e) => events.push(e), { onExit: (pid, how) => exits.push(`${pid} ${how}`), ...(maxLineBytes === undefined ? {} : { maxLineBytes }) })
  for (const chunk of Array.isArray(text) ? text : [text]) parser.push(chunk)
  parser.end()
  return { events, exits, stats: parser.stats() }
}

describe('createStraceParser on a recorded trace', () => {
  const { events, exits, stats } = parseAll(RECORDED)
  it('reads every line: no malformed line, each unfinished call joined with its resumption', () => {
    expect(stats.malformed).toBe(0)
    const lines = RECORDED.split('\n').filter((l) => l !== '')
    const exited = lines.filter((l) => / \+\+\+ /.test(l)).length
    const resumed = lines.filter((l) => / <\.\.\. \w+ resumed>/.test(l)).length
    expect(lines.filter((l) => l.endsWith('<unfinished ...>')).length).toBe(resumed)
    expect(resumed).toBeGreaterThan(5)
    expect(events.length).toBe(lines.length - exited - resumed)
    expect(exits).toHaveLength(exited)
  })
  it('decodes a path with quotes and a newline, and both paths of a rename', () => {
    const rename = events.find((e) => e.syscall === 'rename')
    expect(rename === undefined ? [] : pathArgs(rename)).toEqual([{ path: 'a "quoted"\nname.txt' }, { path: 'b.txt' }])
    const created = events.find((e) => e.syscall === 'openat' && pathArgs(e)[0]?.path === 'a "quoted"\nname.txt')
    expect(created !== undefined && opensForWrite(created)).toBe(true)
  })
  it('keeps the errno of a failed call and the result of a resumed one', () => {
    expect(events.find((e) => pathArgs(e)[0]?.path === '/nonexistent/.npmrc')?.result).toEqual({ value: -1, errno: 'ENOENT' })
    const joined = events.filter((e) => e.syscall === 'openat' && pathArgs(e)[0]?.path === '/etc/hostname')
    expect(joined.length).toBeGreaterThanOrEqual(20)
    expect(joined.every((e) => typeof e.result.value === 'number' && e.result.value > 0 && !opensForWrite(e))).toBe(true)
  })
  it('reads execve argv and the socket addresses of connect, bind and sendmsg', () => {
    const sh = events.find((e) => e.syscall === 'execve' && execArgv(e)[0] === '/bin/sh')
    expect(sh === undefined ? [] : execArgv(sh)).toEqual(['/bin/sh', '-c', 'true; echo "$1" >/dev/null', 'sh', 'a'.repeat(200)])
    const addresses = events.filter((e) => ['connect', 'sendmsg'].includes(e.syscall)).map(socketAddress)
    expect(addresses).toEqual(expect.arrayContaining([
      { family: 'inet', address: '127.0.0.1', port: expect.any(Number) },
      { family: 'inet6', address: '::1', port: expect.any(Number) },
      { family: 'inet', address: '127.0.0.1', port: 9 },
    ]))
    expect(events.filter((e) => e.syscall === 'bind').map(socketAddress)).toContainEqual({ family: 'inet', address: '127.0.0.1', port: 0 })
  })
  it('gives the same events whatever the chunking, even one byte at a time', () => {
    const bytes = [...RECORDED.slice(0, 6000)]
    const oneByOne = parseAll(bytes)
    const whole = parseAll(RECORDED.slice(0, 6000))
    expect(oneByOne.events).toEqual(whole.events)
    expect(whole.events.length).toBeGreaterThan(10)
  })
})

describe('createStraceParser on awkward lines', () => {
  it('skips an overlong line without keeping it, and goes on', () => {
    const long = `1 1.0 execve("/bin/x", ["${'y'.repeat(5000)}"], 0x1 /* 1 vars */) = 0\n`
    const { events, stats } = parseAll([long.slice(0, 2500), long.slice(2500), '2 2.0 unlink("/tmp/a") = 0\n'], 1000)
    expect(stats.overlong).toBe(1)
    expect(events.map((e) => e.syscall)).toEqual(['unlink'])
  })
  it('counts malformed lines and resumptions without a start, never throws', () => {
    const { events, stats } = parseAll('garbage\n3 1.0 openat(AT_FDCWD, "/x"\n4 1.0 <... read resumed>) = 1\n5 1.0 unlink("/y") = 0\n')
    expect(stats.malformed).toBe(3)
    expect(events.map((e) => pathArgs(e))).toEqual([[{ path: '/y' }]])
  })
  it('reads results of ?, hex and truncated strings, and a relative dirfd', () => {
    const { events } = parseAll([
      '7 1.5 execve("/bin/gone", ["gone"], 0x1 /* 2 vars */) = ?',
      '7 1.6 openat(3</work/p>, "pkg/index.js", O_WRONLY|O_APPEND) = 4',
      '7 1.7 openat(AT_FDCWD, "/home/u/.ssh/id_rsa"..., O_RDONLY) = 0x5',
      '',
    ].join('\n'))
    expect(events.map((e) => e.result.value)).toEqual([null, 4, 5])
    expect(pathArgs(events[1] as StraceEvent)).toEqual([{ path: 'pkg/index.js', dirfd: '3</work/p>' }])
    expect(opensForWrite(events[1] as StraceEvent)).toBe(true)
    expect(events[2]?.args[1]).toEqual({ kind: 'string', value: '/home/u/.ssh/id_rsa', truncated: true })
  })
  it('reports process exits (strace without -qq) and ignores signal lines', () => {
    const { events, exits } = parseAll('8 1.0 --- SIGCHLD {si_signo=SIGCHLD} ---\n8 1.1 +++ exited with 3 +++\n9 1.2 +++ killed by SIGKILL +++\n')
    expect(events).toEqual([])
    expect(exits).toEqual(['8 exited with 3', '9 killed by SIGKILL'])
  })
  it('decodes C escapes, octal and hex', () => {
    expect(decodeCString('a\\nb\\t\\"c\\\\d\\x41\\0\\377')).toBe('a\nb\t"c\\dA\0\xff')
  })
})

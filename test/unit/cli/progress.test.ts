import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useColor } from '../../../src/cli/color.js'
import { activityLines } from '../../../src/cli/progress-lines.js'
import { createProgress, fitWidth, progressMode, type ProgressMode } from '../../../src/cli/progress.js'
import type { HookStart } from '../../../src/pipeline.js'
import type { HookActivity } from '../../../src/trace/activity.js'
import type { PackageRecord, ScriptOutcome, ScriptRun } from '../../../src/types.js'
import { FakeTerminal } from './fake-terminal.js'

const pkg = (name: string, version = '1.0.0'): PackageRecord => ({
  name, version, location: `node_modules/${name}`, path: `/p/node_modules/${name}`, resolved: null, source: 'registry',
  isRoot: false, inBundle: false, optional: false, dev: false, approval: 'approved', approvedBy: name,
})

const start = (id: number, name: string, event = 'postinstall', command = 'node install.js'): HookStart => ({ id, pkg: pkg(name, name === 'esbuild' ? '0.25.12' : '1.0.0'), event, command })

const end = (hook: HookStart, outcome: Partial<ScriptOutcome> = {}): ScriptRun => ({
  pkg: hook.pkg, startedAt: 0,
  outcome: { event: hook.event, command: hook.command, outcome: 'ok', exitCode: 0, durationMs: 400, ...outcome },
})

const ESC = /\u001b/

describe('progress, live on a terminal', () => {
  let clock: number
  let term: FakeTerminal
  beforeEach(() => {
    vi.useFakeTimers()
    clock = 1_000
    term = new FakeTerminal(80, 24)
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const live = (options: { color?: boolean; verbose?: boolean } = {}) =>
    createProgress({ mode: 'live', stream: term, color: options.color ?? false, verbose: options.verbose ?? false, now: () => clock })
  const advance = (ms: number): void => {
    clock += ms
    vi.advanceTimersByTime(ms)
  }

  it('shows a line per running hook with its elapsed time, and the count of done/total', () => {
    const p = live()
    p.planned(14)
    const esbuild = start(1, 'esbuild')
    p.started(esbuild)
    p.started(start(2, 'sharp', 'install', 'node install/check'))
    advance(1200)
    expect(term.screen).toEqual([
      expect.stringMatching(/^\S esbuild@0\.25\.12 postinstall 1\.2s {2}node install\.js$/),
      expect.stringMatching(/^\S sharp@1\.0\.0 install 1\.2s {2}node install\/check$/),
      '0/14 scripts done · 2 running',
    ])
    expect(term.cursorVisible).toBe(false)
    p.ended(end(esbuild), 1)
    advance(100)
    expect(term.screen).toEqual([
      '✓ esbuild@0.25.12 postinstall 400ms',
      expect.stringMatching(/^\S sharp@1\.0\.0 install 1\.3s/),
      '1/14 scripts done · 1 running',
    ])
  })

  it('prints a permanent line for each end: failed, timed out, blocked, skipped', () => {
    const p = live()
    const hooks = [1, 2, 3, 4].map((id) => start(id, `p${id}`))
    p.ended(end(hooks[0]!, { outcome: 'failed', exitCode: 1 }), 1)
    p.ended(end(hooks[1]!, { outcome: 'timeout', exitCode: null, durationMs: 600_000 }), 2)
    p.ended(end(hooks[2]!, { outcome: 'blocked', exitCode: null, durationMs: 0, reason: 'denied by allowScripts entry "p3"' }), 3)
    p.ended(end(hooks[3]!, { outcome: 'skipped', exitCode: null, durationMs: 0, reason: 'not reviewed: no allowScripts entry' }), 4)
    p.stop()
    expect(term.screen).toEqual([
      '✗ p1@1.0.0 postinstall failed (exit 1) 400ms',
      '✗ p2@1.0.0 postinstall timed out 10m00s',
      '⊘ p3@1.0.0 postinstall blocked: denied by allowScripts entry "p3"',
      '– p4@1.0.0 postinstall skipped: not reviewed: no allowScripts entry',
    ])
  })

  it('redraws at most once per interval however many hooks end', () => {
    const p = live()
    p.started(start(1, 'a'))
    const before = term.writes.length
    for (let id = 2; id < 50; id += 1) p.ended(end(start(id, `x${id}`)), id)
    expect(term.writes.length - before).toBe(0)
    advance(100)
    expect(term.writes.length - before).toBe(1)
    expect(term.screen.filter((line) => line.startsWith('✓'))).toHaveLength(48)
  })

  it('cuts lines to the terminal width, and redraws at the new width when it changes', () => {
    term = new FakeTerminal(30, 24)
    const p = live({ color: true })
    p.started(start(1, 'a-package-with-a-long-name', 'postinstall', 'node scripts/a-long-install-script.js --flag'))
    advance(100)
    for (const line of term.screen) expect(line.length).toBeLessThanOrEqual(29)
    expect(term.screen[0]).toMatch(/…$/)
    term.resize(60)
    expect(term.screen[0]).toMatch(/^\S a-package-with-a-long-name@1\.0\.0 postinstall 0\.1s {2}node …$/)
    expect(term.screen[0]).toHaveLength(59)
  })

  it('stops cleanly: the block erased, pending lines written, the cursor shown again', () => {
    const p = live()
    p.started(start(1, 'a'))
    advance(100)
    p.ended(end(start(2, 'b')), 2)
    p.print('root output without newline')
    p.stop()
    expect(term.screen).toEqual(['✓ b@1.0.0 postinstall 400ms', 'root output without newline'])
    expect(term.cursorVisible).toBe(true)
    const written = term.writes.length
    p.stop()
    p.ended(end(start(3, 'c')), 3)
    advance(500)
    expect(term.writes.length).toBe(written)
  })

  it('prints other text above the block, whole lines only', () => {
    const p = live()
    p.started(start(1, 'a'))
    advance(100)
    p.print('warning: half')
    p.print(' a line\nnext')
    advance(100)
    expect(term.screen[0]).toBe('warning: half a line')
    expect(term.screen[1]).toMatch(/^\S a@1\.0\.0 postinstall/)
  })

  it('says no total once more hooks ended than were expected', () => {
    const p = live()
    p.planned(1)
    p.started(start(1, 'a'))
    p.ended(end(start(2, 'b')), 2)
    p.started(start(3, 'c'))
    advance(100)
    expect(term.screen.at(-1)).toBe('1 script done · 2 running')
  })

  it('colours only when told to', () => {
    const plain = live()
    plain.ended(end(start(1, 'a')), 1)
    plain.stop()
    expect(term.output.replace(/\u001b\[\?25[lh]|\u001b\[\d*A|\u001b\[J/g, '')).not.toMatch(ESC)
    term = new FakeTerminal()
    const coloured = live({ color: true })
    coloured.ended(end(start(1, 'a')), 1)
    coloured.stop()
    expect(term.output).toContain('\u001b[32m✓\u001b[39m')
  })

  it('strips control characters from package-provided names and commands', () => {
    const p = live()
    p.started({ id: 1, pkg: pkg('evil\u001b[2K'), event: 'postinstall', command: 'node x.js\r\u001b[32mfake ✓ line\nnext' })
    advance(100)
    expect(term.screen[0]).toMatch(/^\S evil@1\.0\.0 postinstall 0\.1s {2}node x\.jsfake ✓ line next$/)
  })

  it('shows a few running hooks when more run than the screen holds', () => {
    term = new FakeTerminal(80, 6)
    const p = live()
    for (let id = 1; id <= 10; id += 1) p.started(start(id, `p${id}`))
    advance(100)
    expect(term.screen).toHaveLength(5)
    expect(term.screen.at(-2)).toBe('… and 7 more running')
  })
})

describe('progress, plain lines', () => {
  it('writes one line per start and per end, with no escape sequence', () => {
    const term = new FakeTerminal()
    const p = createProgress({ mode: 'plain', stream: term, color: false, verbose: false })
    p.planned(2)
    const hook = start(1, 'esbuild')
    p.started(hook)
    p.ended(end(hook), 1)
    p.ended(end(start(2, 'sharp', 'install'), { outcome: 'skipped', exitCode: null, durationMs: 0, reason: 'not reviewed: no allowScripts entry' }), 2)
    p.stop()
    expect(term.output).toBe([
      'safe-install: running esbuild@0.25.12 postinstall: node install.js',
      'safe-install: esbuild@0.25.12 postinstall: ok (400ms) [1/2 scripts done]',
      'safe-install: sharp@1.0.0 install: skipped: not reviewed: no allowScripts entry [2/2 scripts done]',
      '',
    ].join('\n'))
  })

  it('shows each ended hook\'s trace and egress with --verbose, every line prefixed', () => {
    const term = new FakeTerminal()
    const p = createProgress({ mode: 'plain', stream: term, color: false, verbose: true })
    const activity: HookActivity = {
      trace: {
        processes: { items: ['node install.js'], total: 1, capped: false },
        reads: { items: ['/etc/hosts'], total: 1, capped: false },
        writes: { items: [], total: 0, capped: false },
        connections: { items: [], total: 0, capped: false },
        dns: { items: [], total: 0, capped: false },
      },
      egress: { items: [{ package: { name: 'a', version: '1.0.0' }, event: 'postinstall', protocol: 'https', host: 'cdn.example.test', port: 443, bytesOut: 300, bytesIn: 2048, decision: 'allowed' }], total: 1, capped: false },
    }
    p.ended(end(start(1, 'a'), { activity }), 1)
    expect(term.output.split('\n').slice(1, -1)).toEqual([
      'safe-install:     ran: node install.js',
      'safe-install:     read: /etc/hosts',
      'safe-install:     egress: allowed https cdn.example.test:443 (300 B out, 2.0 kB in)',
    ])
  })
})

describe('progress, quiet', () => {
  it('shows nothing of the hooks, but still prints what it is given', () => {
    const term = new FakeTerminal()
    const p = createProgress({ mode: 'off', stream: term, color: true, verbose: true })
    p.planned(1)
    p.started(start(1, 'a'))
    p.ended(end(start(1, 'a')), 1)
    p.print('safe-install: warning: x\n')
    p.stop()
    expect(term.output).toBe('safe-install: warning: x\n')
  })
})

describe('activityLines', () => {
  const list = (prefix: string, total: number) => ({ items: Array.from({ length: Math.min(total, 20) }, (_, i) => `${prefix}${i}`), total, capped: false })
  it('shows at most 20 lines per hook, then how many more', () => {
    const lines = activityLines({
      trace: { processes: list('p', 3), reads: list('/r', 30), writes: list('/w', 2), connections: list('c', 0), dns: list('d', 1) },
      egress: { items: [], total: 0, capped: false },
    })
    expect(lines).toHaveLength(21)
    expect(lines.slice(0, 4)).toEqual(['ran: p0', 'ran: p1', 'ran: p2', 'read: /r0'])
    expect(lines.at(-1)).toBe('… and 16 more')
  })
  it('says when no tracer ran, and nothing for a hook that did not run', () => {
    expect(activityLines({ trace: undefined, egress: { items: [], total: 0, capped: false } })).toEqual(['trace: none (no tracer for this hook)', 'egress: none'])
    expect(activityLines(undefined)).toEqual([])
  })
})

describe('progressMode', () => {
  const mode = (over: Partial<Parameters<typeof progressMode>[0]>): ProgressMode =>
    progressMode({ quiet: false, isTTY: true, ci: false, term: 'xterm-256color', textFormat: true, ...over })
  it('is live only on a terminal outside CI', () => {
    expect(mode({})).toBe('live')
    expect(mode({ textFormat: false })).toBe('live')
    expect(mode({ ci: true })).toBe('plain')
    expect(mode({ term: 'dumb' })).toBe('plain')
    expect(mode({ isTTY: false })).toBe('plain')
  })
  it('is off with --quiet, and for JSON or SARIF on a pipe', () => {
    expect(mode({ quiet: true })).toBe('off')
    expect(mode({ isTTY: false, textFormat: false })).toBe('off')
  })
})

describe('useColor', () => {
  it('follows --color, then NO_COLOR, then FORCE_COLOR, then the terminal', () => {
    expect(useColor(true, { NO_COLOR: '1' }, { isTTY: false })).toBe(true)
    expect(useColor(false, { FORCE_COLOR: '1' }, { isTTY: true })).toBe(false)
    expect(useColor(undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, { isTTY: true })).toBe(false)
    expect(useColor(undefined, { NO_COLOR: '' }, { isTTY: true })).toBe(true)
    expect(useColor(undefined, { FORCE_COLOR: '1' }, { isTTY: false })).toBe(true)
    expect(useColor(undefined, { FORCE_COLOR: '0' }, { isTTY: true })).toBe(false)
    expect(useColor(undefined, { FORCE_COLOR: 'false' }, { isTTY: true })).toBe(false)
    expect(useColor(undefined, { FORCE_COLOR: '' }, { isTTY: false })).toBe(true)
    expect(useColor(undefined, {}, { isTTY: true })).toBe(true)
    expect(useColor(undefined, {}, {})).toBe(false)
  })
})

describe('fitWidth', () => {
  it('counts visible characters only and closes an open colour', () => {
    expect(fitWidth('abcdef', 6)).toBe('abcdef')
    expect(fitWidth('abcdefg', 6)).toBe('abcde…')
    expect(fitWidth('\u001b[32mabcdefg\u001b[39m', 4)).toBe('\u001b[32mabc…\u001b[0m')
  })
})

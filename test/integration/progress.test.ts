/// <reference path="../helpers/provided-context.d.ts" />
/**
 * What a developer sees while an install runs, through bin/ as they run it: on a terminal (a
 * pseudo-terminal from util-linux `script`) the live block and a line per ended hook; on a pipe
 * and in GitHub Actions plain lines with no cursor movement.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { run } from '../helpers/registry.js'
import { BIN, prepareProject, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { FakeTerminal } from '../unit/cli/fake-terminal.js'

/** order-top → order-mid → order-leaf (3 hooks each), benign-postinstall (1), dump-env (1, unreviewed: skipped), the project's own postinstall (1). */
const HOOKS = 12

const hasScript = (): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`

const terminalCommand = (args: string[]): string[] =>
  ['-qfec', `stty cols 100 rows 30 && exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`, '/dev/null']

/** `safe-install <args>` on a 100x30 pseudo-terminal: stdout and stderr both reach it, as on a developer's screen. */
const onTerminal = (project: TestProject, args: string[], env: Record<string, string> = {}): ReturnType<typeof run> =>
  run('script', terminalCommand(args), { cwd: project.dir, env: { ...project.env, TERM: 'xterm-256color', ...env }, timeoutMs: 110_000 })

const SGR_COLOUR = /\u001b\[(?:3\d|9\d|1|2)m/
const CURSOR = /\u001b\[\d*A|\u001b\[J|\u001b\[\?25[lh]/

describe.runIf(hasScript())('live progress', () => {
  const open = inject('openRegistry')
  let root: string
  const project = async (label: string): Promise<TestProject> => {
    const p = await prepareProject('basic', root, label, open, {
      dependencies: { 'benign-postinstall': '1.0.0', 'order-top': '1.0.0', 'dump-env': '1.0.0' },
      allowScripts: { 'benign-postinstall': true, 'order-top': true, 'order-mid': true, 'order-leaf': true },
    })
    const file = path.join(p.dir, 'package.json')
    const pkg = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    await writeFile(file, JSON.stringify({ ...pkg, scripts: { postinstall: 'node -e "console.log(\'the project says hello\')"' } }, null, 2))
    return p
  }
  beforeAll(async () => {
    root = await makeTempDir('si-progress-')
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('on a terminal: running hooks with their time, the count of all, a line per ended hook, the cursor restored', async () => {
    const r = await onTerminal(await project('tty'), ['install', '--unreviewed', 'skip'])
    const out = r.stdout
    expect(r.code, out).toBe(0)
    expect(out).toContain('\u001b[?25l')
    expect(out.lastIndexOf('\u001b[?25h')).toBeGreaterThan(out.lastIndexOf('\u001b[?25l'))
    // eslint-disable-next-line no-control-regex
    const visible = out.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    expect(visible).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] order-leaf@1\.0\.0 preinstall \d+\.\ds {2}node stamp\.js preinstall/)
    expect(visible).toMatch(new RegExp(`\\d+/${HOOKS} scripts done`))
    for (const id of ['order-leaf@1.0.0 preinstall', 'order-mid@1.0.0 install', 'order-top@1.0.0 postinstall', 'benign-postinstall@1.0.0 postinstall', 'project-basic@1.0.0 postinstall']) {
      expect(visible).toMatch(new RegExp(`✓ ${id.replace(/[.@]/g, '\\$&')} \\d`))
    }
    expect(visible).toContain('– dump-env@1.0.0 postinstall skipped: not reviewed: no allowScripts entry')
    expect(visible).toContain('the project says hello')
    expect(visible).toMatch(/package +hook +outcome +time +findings/)
    expect(out).toMatch(SGR_COLOUR)
  })

  it('on a terminal with NO_COLOR and --verbose: live but colourless, each hook with what it did', async () => {
    const r = await onTerminal(await project('no-color'), ['install', '--unreviewed', 'skip', '--verbose'], { NO_COLOR: '1' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toMatch(CURSOR)
    expect(r.stdout).not.toMatch(SGR_COLOUR)
    const visible = r.stdout.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    expect(visible).toMatch(/✓ benign-postinstall@1\.0\.0 postinstall \S+\r?\n {4}(?:ran: .*node.*postinstall\.js|trace: none)/)
  })

  it('on a pipe: one plain line per start and per end, no escape sequence, the total exact', async () => {
    const r = await safeInstall(await project('pipe'), ['install', '--unreviewed', 'skip'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toMatch(/\u001b/)
    const lines = r.stderr.split('\n')
    expect(lines).toContain('safe-install: running order-leaf@1.0.0 preinstall: node stamp.js preinstall')
    expect(lines.filter((line) => line.startsWith('safe-install: running '))).toHaveLength(HOOKS - 1)
    expect(lines.some((line) => /^safe-install: order-leaf@1\.0\.0 preinstall: ok \(\d+(?:ms|\.\ds)\) \[\d+\/12 scripts done\]$/.test(line))).toBe(true)
    expect(lines.some((line) => line.startsWith('safe-install: dump-env@1.0.0 postinstall: skipped: not reviewed'))).toBe(true)
    expect(lines.filter((line) => line.endsWith(`[${HOOKS}/${HOOKS} scripts done]`))).toHaveLength(1)
  })

  it('in GitHub Actions, even on a terminal: plain lines, no cursor movement', async () => {
    const r = await onTerminal(await project('actions'), ['install', '--unreviewed', 'skip'], { GITHUB_ACTIONS: 'true', CI: 'true' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).not.toMatch(CURSOR)
    expect(r.stdout).toContain('safe-install: running order-top@1.0.0 install: node stamp.js install')
  })

  it('on Ctrl-C: the live block erased, the cursor shown again, the interrupt said last', async () => {
    const p = await prepareProject('sleeper', root, 'interrupt', open, { allowScripts: { sleeper: true } })
    const child = spawn('script', terminalCommand(['install']), { cwd: p.dir, env: { ...p.env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const started = path.join(p.dir, 'node_modules', 'sleeper', 'started.json')
    for (let i = 0; i < 300 && !(existsSync(started) && out.includes('sleeper@1.0.0 postinstall')); i++) await sleep(100)
    expect(out).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\u001b\[39m sleeper@1\.0\.0 postinstall/)
    child.stdin.write('\u0003')
    expect(await exited).toBe(130)
    child.stdin.end()
    const screen = new FakeTerminal(100, 30)
    screen.write(out)
    expect(screen.cursorVisible).toBe(true)
    expect(screen.screen.at(-1)).toBe('safe-install: interrupted; running scripts were killed and temporary files removed')
    expect(screen.screen.filter((line) => /sleeper@1\.0\.0 postinstall \d/.test(line) || /scripts? done/.test(line))).toEqual([])
  })
})

import type { HookStart } from '../pipeline.js'
import { makePaint, type Paint } from '../report/text-style.js'
import type { ScriptRun } from '../types.js'
import { activityLines, countLine, endedLine, endedPlainLine, runningLine, startedPlainLine } from './progress-lines.js'

/**
 * How hooks are shown while they run. `live`: a block at the bottom of the terminal, redrawn in
 * place (one line per running hook, then the count), above it a permanent line per hook that
 * ended. `plain`: one line per start and per end, no cursor movement (pipes, logs, CI). `off`:
 * nothing (`--quiet`).
 */
export type ProgressMode = 'live' | 'plain' | 'off'

/**
 * `live` only on an interactive terminal that is not a CI log (a CI service may give a TTY, and
 * GitHub Actions must not get cursor movement) nor `TERM=dumb`; `plain` where the text report is
 * printed; `off` with --quiet, and for --format json|sarif on a pipe (stderr stays as before).
 */
export const progressMode = (input: {
  readonly quiet: boolean
  readonly isTTY: boolean
  readonly ci: boolean
  readonly term: string | undefined
  readonly textFormat: boolean
}): ProgressMode => {
  if (input.quiet) return 'off'
  if (input.isTTY && !input.ci && input.term !== 'dumb') return 'live'
  return input.textFormat ? 'plain' : 'off'
}

/** Where progress goes: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown
  readonly columns?: number
  readonly rows?: number
  on?(event: 'resize', listener: () => void): unknown
  off?(event: 'resize', listener: () => void): unknown
}

export interface ProgressOptions {
  readonly mode: ProgressMode
  readonly stream: ProgressStream
  readonly color: boolean
  /** Each ended hook's trace and egress under its line. */
  readonly verbose: boolean
  readonly now?: () => number
  /** Least time between two redraws of the live block. */
  readonly intervalMs?: number
}

/** The pipeline's hook callbacks, and the way other messages reach the terminal while it runs. */
export interface Progress {
  readonly started: (hook: HookStart) => void
  readonly ended: (run: ScriptRun, id: number) => void
  readonly planned: (total: number) => void
  /** Other text for the terminal (warnings, the project's own scripts' output), in every mode: above the live block. */
  readonly print: (text: string) => void
  /** Erase the live block and show the cursor again; idempotent and synchronous (signal and exit handlers call it). */
  readonly stop: () => void
}

const HIDE_CURSOR = '\u001b[?25l'
const SHOW_CURSOR = '\u001b[?25h'
const ERASE_DOWN = '\u001b[J'

/** Cut a line to `width` visible characters; only our own SGR sequences can be in it (package text is cleaned first). */
export const fitWidth = (line: string, width: number): string => {
  let visible = 0
  let out = ''
  let cutAt = -1
  for (const token of line.match(/\u001b\[[0-9;]*m|[\s\S]/gu) ?? []) {
    if (token.startsWith('\u001b[')) {
      out += token
      continue
    }
    if (visible === width - 1 && cutAt === -1) cutAt = out.length
    visible += 1
    out += token
  }
  if (visible <= width) return out
  return `${out.slice(0, cutAt)}…${line.includes('\u001b[') ? '\u001b[0m' : ''}`
}

export const createProgress = (options: ProgressOptions): Progress => {
  const { mode, stream, verbose } = options
  const paint: Paint = makePaint(options.color)
  const now = options.now ?? Date.now
  const interval = options.intervalMs ?? 100
  const running = new Map<number, HookStart & { readonly since: number }>()
  let done = 0
  let total: number | undefined
  let stopped = false

  // A total that turned out too small is dropped rather than shown wrong.
  const count = (): string => countLine(done, total !== undefined && done + running.size <= total ? total : undefined, running.size)
  const details = (run: ScriptRun): string[] => (verbose ? activityLines(run.outcome.activity) : [])

  if (mode !== 'live') {
    const write = (text: string): void => {
      if (mode === 'plain' && !stopped) stream.write(text)
    }
    return {
      started: (hook) => {
        running.set(hook.id, { ...hook, since: now() })
        write(`${startedPlainLine(hook)}\n`)
      },
      ended: (run, id) => {
        running.delete(id)
        done += 1
        write([endedPlainLine(run, count()), ...details(run).map((line) => `safe-install:     ${line}`)].map((line) => `${line}\n`).join(''))
      },
      planned: (n) => void (total = n),
      print: (text) => void stream.write(text),
      stop: () => void (stopped = true),
    }
  }

  /** Permanent lines not written yet, and the rows of the block now on screen. */
  let pending = ''
  let partial = ''
  let drawn = 0
  let frame = 0
  let lastDraw = Number.NEGATIVE_INFINITY
  let cursorHidden = false
  let ticker: ReturnType<typeof setInterval> | undefined
  let scheduled: ReturnType<typeof setTimeout> | undefined

  const erase = (): string => (drawn === 0 ? '' : `\r\u001b[${drawn}A${ERASE_DOWN}`)

  const block = (): string[] => {
    if (running.size === 0 && (total === undefined || done >= total)) return []
    // A terminal that reports no size (0) gets the usual 80x24.
    const width = Math.max(20, stream.columns || 80)
    // Room for the count line and one line of the scrollback: a block taller than the screen cannot be erased.
    const room = Math.max(1, (stream.rows || 24) - 2)
    const hooks = [...running.values()]
    const shown = hooks.length > room ? hooks.slice(0, room - 1) : hooks
    const lines = shown.map((hook) => runningLine(hook, now() - hook.since, frame, paint))
    if (shown.length < hooks.length) lines.push(paint('dim', `… and ${hooks.length - shown.length} more running`))
    lines.push(paint('dim', count()))
    return lines.map((line) => fitWidth(line, width - 1))
  }

  const draw = (): void => {
    if (stopped) return
    if (scheduled !== undefined) clearTimeout(scheduled)
    scheduled = undefined
    const lines = block()
    const hide = lines.length > 0 && !cursorHidden ? HIDE_CURSOR : ''
    cursorHidden ||= hide !== ''
    stream.write(`${erase()}${pending}${hide}${lines.map((line) => `${line}\n`).join('')}`)
    pending = ''
    drawn = lines.length
    lastDraw = now()
  }

  /** Draw now, or at the next allowed time: at most one redraw per interval. */
  const schedule = (): void => {
    if (stopped || scheduled !== undefined) return
    const wait = lastDraw + interval - now()
    if (wait <= 0) draw()
    else scheduled = setTimeout(draw, wait)
  }

  const tick = (): void => {
    if (running.size === 0) {
      if (ticker !== undefined) clearInterval(ticker)
      ticker = undefined
    } else if (ticker === undefined) {
      ticker = setInterval(() => {
        frame += 1
        schedule()
      }, interval)
      ticker.unref?.()
    }
  }

  const onResize = (): void => draw()
  stream.on?.('resize', onResize)

  return {
    started: (hook) => {
      running.set(hook.id, { ...hook, since: now() })
      tick()
      schedule()
    },
    ended: (run, id) => {
      running.delete(id)
      done += 1
      tick()
      pending += [endedLine(run, paint), ...details(run).map((line) => `    ${paint('dim', line)}`)].map((line) => `${line}\n`).join('')
      schedule()
    },
    planned: (n) => {
      total = n
      schedule()
    },
    print: (text) => {
      if (stopped) {
        stream.write(text)
        return
      }
      const lines = `${partial}${text}`
      const end = lines.lastIndexOf('\n') + 1
      partial = lines.slice(end)
      pending += lines.slice(0, end)
      if (end > 0) schedule()
    },
    stop: () => {
      if (stopped) return
      if (ticker !== undefined) clearInterval(ticker)
      if (scheduled !== undefined) clearTimeout(scheduled)
      stream.off?.('resize', onResize)
      stream.write(`${erase()}${pending}${partial === '' ? '' : `${partial}\n`}${cursorHidden ? SHOW_CURSOR : ''}`)
      stopped = true
      drawn = 0
    },
  }
}

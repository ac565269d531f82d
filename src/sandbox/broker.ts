import { randomBytes } from 'node:crypto'
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, Socket } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'

/** What npm's script runner handed to our script shell: the `-c <script>` argv, cwd and env. */
export interface HookRequest {
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
}

export interface Broker {
  /** An executable to give Arborist / run-script as `scriptShell`. */
  readonly shimPath: string
  close(): Promise<void>
}

const SHIM_JS = fileURLToPath(new URL('./shim.js', import.meta.url))

const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`

/**
 * npm runs every lifecycle script through `scriptShell -c <script>`. We point that at a shim that
 * forwards the request here, so npm's own ordering, optional-failure handling and bin linking
 * stay exactly npm's while the script itself runs in our sandbox. Requests must carry the per-run
 * token written into the shim.
 *
 * The shim is POSIX sh (a node shim costs a node start per hook): it writes the request (argv,
 * cwd, env, NUL-separated) into a fresh directory, announces it on the run's request FIFO and
 * reads the exit status from a FIFO in that directory. Where `env -0` is missing, a node shim
 * does the same over a unix socket.
 */
export const startBroker = async (options: {
  readonly dir: string
  readonly nodePath: string
  readonly handle: (request: HookRequest) => Promise<number>
}): Promise<Broker> => {
  const token = randomBytes(24).toString('hex')
  const shimPath = join(options.dir, 'script-shell')
  const pending = new Set<Promise<void>>()
  const track = (work: Promise<void>): void => {
    pending.add(work)
    void work.finally(() => pending.delete(work))
  }
  const fifo = await canUseFifoShim()
  const transport = fifo
    ? await startFifoTransport(options.dir, token, options.handle, track)
    : await startSocketTransport(options.dir, token, options.handle)
  await writeFile(shimPath, fifo ? fifoShim(options.dir, token) : socketShim(options.nodePath, transport.address, token), { mode: 0o700 })
  return {
    shimPath,
    close: async () => {
      await transport.close()
      await Promise.allSettled([...pending])
    },
  }
}

interface Transport {
  readonly address: string
  close(): Promise<void>
}

/** `env -0` (GNU coreutils, BSD) and mkfifo are what the sh shim needs. */
const canUseFifoShim = async (): Promise<boolean> => {
  if (process.platform === 'win32') return false
  const [env, mkfifo] = await Promise.all([
    execa('env', ['-0'], { reject: false, extendEnv: false, env: { A: '1' } }),
    execa('sh', ['-c', 'command -v mkfifo'], { reject: false }),
  ])
  return env.exitCode === 0 && env.stdout === 'A=1\0' && mkfifo.exitCode === 0
}

const fifoShim = (dir: string, token: string): string => [
  '#!/bin/sh',
  '# safe-install script shell: hands the hook to the safe-install process and exits with its status.',
  `req=$(mktemp -d ${shellQuote(join(dir, 'req.XXXXXXXX'))}) || exit 70`,
  'pwd -P > "$req/cwd" || exit 70',
  'env -0 > "$req/env" || exit 70',
  'for arg in "$@"; do printf \'%s\\000\' "$arg"; done > "$req/args" || exit 70',
  'mkfifo "$req/status" || exit 70',
  `printf '%s %s\\n' ${token} "$req" > ${shellQuote(join(dir, 'requests'))} || exit 70`,
  'IFS= read -r code < "$req/status"',
  'rm -rf "$req"',
  'exit "${code:-70}"',
  '',
].join('\n')

const socketShim = (nodePath: string, socketPath: string, token: string): string =>
  `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(SHIM_JS)} ${shellQuote(socketPath)} ${token} "$@"\n`

const splitNul = (text: string): string[] => {
  const parts = text.split('\0')
  if (parts.at(-1) === '') parts.pop()
  return parts
}

const startFifoTransport = async (
  dir: string,
  token: string,
  handle: (request: HookRequest) => Promise<number>,
  track: (work: Promise<void>) => void,
): Promise<Transport> => {
  const fifo = join(dir, 'requests')
  await execa('mkfifo', ['-m', '600', fifo])
  // Read-write and non-blocking: we are always a writer too, so the FIFO never reports end of file.
  const stream = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false })
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      track(serveFifoRequest(line, dir, token, handle))
    }
  })
  stream.on('error', () => undefined)
  return {
    address: fifo,
    close: () => {
      stream.destroy()
      return Promise.resolve()
    },
  }
}

const serveFifoRequest = async (line: string, dir: string, token: string, handle: (request: HookRequest) => Promise<number>): Promise<void> => {
  const space = line.indexOf(' ')
  const given = line.slice(0, space)
  const req = line.slice(space + 1)
  // Only directories the shim made in our private run directory, with the token of this run.
  if (space < 0 || given !== token || dirname(req) !== dir || !basename(req).startsWith('req.')) return
  let exitCode = 1
  try {
    const [args, cwd, envText] = await Promise.all(['args', 'cwd', 'env'].map((name) => readFile(join(req, name), 'utf8')))
    const env: Record<string, string> = {}
    for (const entry of splitNul(envText ?? '')) {
      const eq = entry.indexOf('=')
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
    exitCode = await handle({ args: splitNul(args ?? ''), cwd: (cwd ?? '').replace(/\n$/, ''), env })
  } catch {
    exitCode = 1
  }
  // Non-blocking: if the shim is gone (killed), there is no reader and nobody to tell.
  try {
    const fd = openSync(join(req, 'status'), constants.O_WRONLY | constants.O_NONBLOCK)
    try {
      writeSync(fd, `${exitCode}\n`)
    } finally {
      closeSync(fd)
    }
  } catch {
    await rm(req, { recursive: true, force: true })
  }
}

const startSocketTransport = async (dir: string, token: string, handle: (request: HookRequest) => Promise<number>): Promise<Transport> => {
  const socketPath = join(dir, 'broker.sock')
  const sockets = new Set<Socket>()
  const answer = async (line: string, socket: Socket): Promise<void> => {
    let exitCode = 1
    try {
      const message = JSON.parse(line) as { token?: string } & HookRequest
      if (message.token !== token) throw new Error('bad token')
      exitCode = await handle({ args: message.args, cwd: message.cwd, env: message.env })
    } catch (error) {
      socket.end(`${JSON.stringify({ exitCode: 1, error: (error as Error).message })}\n`)
      return
    }
    socket.end(`${JSON.stringify({ exitCode })}\n`)
  }
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      const newline = buffered.indexOf('\n')
      if (newline < 0) return
      const line = buffered.slice(0, newline)
      buffered = ''
      void answer(line, socket)
    })
    socket.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })
  await chmod(socketPath, 0o600)
  return {
    address: socketPath,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}

import { randomBytes } from 'node:crypto'
import { chmod, writeFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

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
 * forwards the request here over a unix socket, so npm's own ordering, optional-failure handling
 * and bin linking stay exactly npm's while the script itself runs in our sandbox. Requests must
 * carry the per-run token written into the shim.
 */
export const startBroker = async (options: {
  readonly dir: string
  readonly nodePath: string
  readonly handle: (request: HookRequest) => Promise<number>
}): Promise<Broker> => {
  const token = randomBytes(24).toString('hex')
  const socketPath = join(options.dir, 'broker.sock')
  const shimPath = join(options.dir, 'script-shell')
  const sockets = new Set<Socket>()
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
  const answer = async (line: string, socket: Socket): Promise<void> => {
    let exitCode = 1
    try {
      const message = JSON.parse(line) as { token?: string } & HookRequest
      if (message.token !== token) throw new Error('bad token')
      exitCode = await options.handle({ args: message.args, cwd: message.cwd, env: message.env })
    } catch (error) {
      exitCode = 1
      socket.end(`${JSON.stringify({ exitCode, error: (error as Error).message })}\n`)
      return
    }
    socket.end(`${JSON.stringify({ exitCode })}\n`)
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })
  await chmod(socketPath, 0o600)
  await writeFile(shimPath,
    `#!/bin/sh\nexec ${shellQuote(options.nodePath)} ${shellQuote(SHIM_JS)} ${shellQuote(socketPath)} ${token} "$@"\n`,
    { mode: 0o700 })
  return {
    shimPath,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}

/**
 * Runs inside a hook's namespaces (started by bwrap, with the scrubbed environment only).
 * 1. Bridges 127.0.0.1:<port> to the hook's egress proxy socket, the only way out.
 * 2. Runs the hook (`sh -c <script>`) and waits for it.
 * 3. Lists every process still alive in the pid namespace, records them in the result file
 *    (escaped-process evidence) and exits; the kernel kills the rest of the namespace with it.
 * Usage: ns-init <result-file> <port=socket|-> <shell> -c <script>
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'

const [resultFile, bridge, shell, ...shellArgs] = process.argv.slice(2)
if (resultFile === undefined || bridge === undefined || shell === undefined) {
  process.stderr.write('safe-install ns-init: bad arguments\n')
  process.exit(70)
}

const startBridge = async (spec: string): Promise<Server | undefined> => {
  if (spec === '-') return undefined
  const eq = spec.indexOf('=')
  const port = Number(spec.slice(0, eq))
  const socketPath = spec.slice(eq + 1)
  const server = createServer((client) => {
    const upstream = connect(socketPath)
    client.pipe(upstream).pipe(client)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return server
}

const leftovers = (): Array<{ pid: number; command: string }> => {
  const found: Array<{ pid: number; command: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === 1 || pid === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue
      found.push({ pid, command: cmd.slice(0, 300) })
    } catch {
      continue
    }
  }
  return found
}

const main = async (): Promise<number> => {
  const server = await startBridge(bridge)
  const child = spawn(shell, shellArgs, { stdio: 'inherit', env: process.env })
  const code = await new Promise<number>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128 + 9)))
    child.once('error', () => resolve(127))
  })
  server?.close()
  const left = leftovers()
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  writeFileSync(resultFile, JSON.stringify({ exitCode: code, leftovers: left }))
  return code
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`safe-install ns-init: ${(error as Error).message}\n`)
  process.exit(70)
})

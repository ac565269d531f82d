/**
 * Runs inside a hook's network namespace, started by ns-init.sh with the scrubbed environment:
 * listens on 127.0.0.1:<port> and pipes every connection to the hook's egress proxy socket,
 * the only way out of the namespace. Writes <ready-file> once listening.
 * Usage: ns-bridge <port> <proxy-socket> <ready-file>
 */
import { writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

const [portText, socketPath, readyFile] = process.argv.slice(2)
if (portText === undefined || socketPath === undefined || readyFile === undefined) {
  process.stderr.write('safe-install ns-bridge: bad arguments\n')
  process.exit(70)
}

const server = createServer((client) => {
  const upstream = connect(socketPath)
  const end = (): void => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', end)
  upstream.on('error', end)
  client.pipe(upstream).pipe(client)
})
server.on('error', (error) => {
  process.stderr.write(`safe-install ns-bridge: ${error.message}\n`)
  process.exit(70)
})
server.listen(Number(portText), '127.0.0.1', () => writeFileSync(readyFile, 'ready'))

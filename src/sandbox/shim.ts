/**
 * The script shell npm runs for every lifecycle hook (`shim <socket> <token> -c <script>`).
 * It runs no package code: it hands the request to the safe-install process that started npm's
 * install and exits with the sandboxed hook's status.
 */
import { connect } from 'node:net'

const [socketPath, token, ...args] = process.argv.slice(2)
if (socketPath === undefined || token === undefined) {
  process.stderr.write('safe-install script shell: missing broker socket\n')
  process.exit(70)
}

const socket = connect(socketPath)
let reply = ''
socket.setEncoding('utf8')
socket.on('connect', () => {
  socket.write(`${JSON.stringify({ token, args, cwd: process.cwd(), env: process.env })}\n`)
})
socket.on('data', (chunk: string) => {
  reply += chunk
})
socket.on('end', () => {
  try {
    const { exitCode } = JSON.parse(reply) as { exitCode: number }
    process.exit(exitCode)
  } catch {
    process.stderr.write('safe-install script shell: no answer from the broker\n')
    process.exit(70)
  }
})
socket.on('error', (error) => {
  process.stderr.write(`safe-install script shell: ${error.message}\n`)
  process.exit(70)
})

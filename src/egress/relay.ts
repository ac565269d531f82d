import type { Socket } from 'node:net'
import type { AttemptRecord } from './context.js'
import type { SecretStream } from './secret-scan.js'

export interface RelayOptions {
  readonly client: Socket
  readonly server: Socket
  /** Bytes the client sent after its request head (already read by the HTTP parser). */
  readonly clientHead: Buffer
  /** Bytes the server side sent after the upstream proxy's answer. */
  readonly serverHead: Buffer
  readonly record: AttemptRecord
  /** Watches what the client sends; on a hit the tunnel is cut and `onSecret` called. */
  readonly watch: SecretStream
  readonly onSecret: (names: readonly string[]) => void
}

/**
 * Pipe two sockets both ways, counting bytes (out: client → server, in: server → client),
 * with back-pressure and half-close passed through. Resolves when both sides are closed, with
 * the first byte the client sent (0x16 means a TLS handshake).
 */
export const relay = (options: RelayOptions): Promise<{ readonly firstByte: number | null }> =>
  new Promise((resolve) => {
    const { client, server, record } = options
    let firstByte: number | null = null
    let open = 2
    const closed = (): void => {
      open -= 1
      if (open === 0) resolve({ firstByte })
    }
    const toServer = (chunk: Buffer): void => {
      if (chunk.length === 0) return
      firstByte ??= chunk[0] ?? null
      const { found } = options.watch.push(chunk)
      if (found.length > 0) {
        options.onSecret(found)
        client.destroy()
        server.destroy()
        return
      }
      record.bytesOut += chunk.length
      if (!server.write(chunk)) client.pause()
    }
    const toClient = (chunk: Buffer): void => {
      record.bytesIn += chunk.length
      if (!client.write(chunk)) server.pause()
    }
    const pass = (from: Socket, to: Socket, forward: (chunk: Buffer) => void): void => {
      from.on('data', forward)
      from.on('end', () => to.end())
      from.on('error', () => to.destroy())
      to.on('drain', () => from.resume())
      const onClose = (hadError: boolean): void => {
        if (hadError || to.destroyed) to.destroy()
        else to.end(() => to.destroy())
        closed()
      }
      if (from.closed) onClose(true)
      else from.once('close', onClose)
    }
    pass(client, server, toServer)
    pass(server, client, toClient)
    if (options.serverHead.length > 0) toClient(options.serverHead)
    if (options.clientHead.length > 0) toServer(options.clientHead)
    client.resume()
    server.resume()
  })

import { createServer, type AddressInfo } from 'node:net'
import { connect } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { readSni } from '../../../../src/sandbox/capture/tls-sni.js'

/** The first bytes a real TLS client (OpenSSL, through node:tls) sends, captured on a loopback socket. */
const clientHello = async (servername: string | undefined): Promise<Buffer> => {
  let resolveHello: (b: Buffer) => void = () => undefined
  const hello = new Promise<Buffer>((resolve) => { resolveHello = resolve })
  const server = createServer((socket) => {
    socket.once('data', (data) => {
      resolveHello(data)
      socket.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) })
  client.on('error', () => undefined)
  try {
    return await hello
  } finally {
    client.destroy()
    server.close()
  }
}

describe('readSni', () => {
  it('reads the server name of a real ClientHello', async () => {
    expect(readSni(await clientHello('CDN.Example.test'))).toEqual({ kind: 'name', name: 'cdn.example.test' })
  })
  it('asks for more bytes while the hello is incomplete, at any cut', async () => {
    const hello = await clientHello('cdn.example.test')
    for (const cut of [0, 1, 4, 5, 9, 40, hello.length - 1]) expect(readSni(hello.subarray(0, cut))).toEqual({ kind: 'more' })
  })
  it('reassembles a hello split across two TLS records', async () => {
    const hello = await clientHello('split.example.test')
    const body = hello.subarray(5)
    const record = (part: Buffer): Buffer => Buffer.concat([Buffer.from([22, 3, 1, part.length >> 8, part.length & 255]), part])
    expect(readSni(Buffer.concat([record(body.subarray(0, 50)), record(body.subarray(50))]))).toEqual({ kind: 'name', name: 'split.example.test' })
  })
  it('reports a hello without a name (clients send none for IP literals)', async () => {
    expect(readSni(await clientHello(undefined))).toMatchObject({ kind: 'none' })
  })
  it('refuses what is not TLS', () => {
    expect(readSni(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toEqual({ kind: 'none', reason: 'not a TLS handshake' })
  })
})

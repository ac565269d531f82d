/**
 * Finds secret values (canaries and the user's real credentials) leaving in a request, raw or in
 * the encodings payloads use: base64 and base64url (at every byte alignment, so a secret inside a
 * larger encoded blob is found), hex, percent-encoding, form encoding and JSON string escaping.
 * Pure. Works on bytes (latin1 views), so binary bodies and non-ASCII secrets are handled alike.
 * Not found: compressed or encrypted bodies (the tracer's file-access view covers those).
 */

export interface SecretNeedle {
  readonly name: string
  readonly value: string
}

/** Needles compiled once per proxy: every encoded form, as a latin1 string of its bytes. */
export interface CompiledNeedles {
  readonly forms: ReadonlyArray<{ readonly name: string; readonly form: string }>
  /** Length in bytes of the longest form: the window a stream keeps to see a form split across chunks. */
  readonly longest: number
}

/** Values shorter than this are ignored: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 8

const latin1 = (bytes: Buffer): string => bytes.toString('latin1')

/** The part of base64(prefix + value) that depends only on the value, for each of the three alignments. */
const base64Middles = (bytes: Buffer, alphabet: 'base64' | 'base64url'): string[] =>
  [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet)
    return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6))
  })

const percentAll = (bytes: Buffer): string => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')

const formsOfText = (text: string): string[] => {
  const bytes = Buffer.from(text, 'utf8')
  const uri = encodeURIComponent(text)
  return [
    latin1(bytes),
    ...base64Middles(bytes, 'base64'),
    ...base64Middles(bytes, 'base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    uri.replace(/%20/g, '+'),
    percentAll(bytes),
    percentAll(bytes).toUpperCase(),
  ]
}

/** Every form searched for one value: of the value, of its JSON-escaped text and, for multi-line values, of its longest line. */
export const encodedForms = (value: string): string[] => {
  const sources = new Set([value, JSON.stringify(value).slice(1, -1)])
  if (value.includes('\n')) {
    const line = value.split(/\r?\n/).reduce((a, b) => (b.length > a.length ? b : a), '')
    if (line.length >= 2 * MIN_SECRET_LENGTH) sources.add(line)
  }
  return [...new Set([...sources].flatMap(formsOfText))].filter((form) => form.length >= MIN_SECRET_LENGTH)
}

export const compileNeedles = (needles: readonly SecretNeedle[]): CompiledNeedles => {
  const forms = needles
    .filter((n) => Buffer.byteLength(n.value, 'utf8') >= MIN_SECRET_LENGTH)
    .flatMap((n) => encodedForms(n.value).map((form) => ({ name: n.name, form })))
  return { forms, longest: forms.reduce((max, f) => Math.max(max, f.form.length), 0) }
}

const toLatin1 = (text: string | Buffer): string => (typeof text === 'string' ? latin1(Buffer.from(text, 'utf8')) : latin1(text))

const findIn = (haystack: string, compiled: CompiledNeedles): string[] => {
  const found = new Set<string>()
  for (const { name, form } of compiled.forms) {
    if (!found.has(name) && haystack.includes(form)) found.add(name)
  }
  return [...found]
}

/** Names of the needles whose value appears in `text`, raw or encoded; in needle order. */
export const scanForSecrets = (text: string | Buffer, needles: readonly SecretNeedle[] | CompiledNeedles): string[] =>
  findIn(toLatin1(text), 'forms' in needles ? needles : compileNeedles(needles))

/** Replace every found form with `[redacted]` (for hosts and paths that go into events and findings). */
export const redactSecrets = (text: string, compiled: CompiledNeedles): string => {
  let out = toLatin1(text)
  for (const { form } of compiled.forms) out = out.split(form).join('[redacted]')
  return Buffer.from(out, 'latin1').toString('utf8')
}

/**
 * A scanner over a byte stream with bounded memory. With `holdBack`, `push` returns only the
 * bytes that can no longer be part of an undetected secret (everything but the last
 * `longest - 1` bytes), so a request can be refused before any complete secret form has left;
 * `flush` returns the rest at the end. Without it, everything is released at once and only the
 * last `longest - 1` bytes are kept as context (for interactive tunnels, where holding back
 * would stall the protocol).
 */
export interface SecretStream {
  push(chunk: Buffer): { readonly found: readonly string[]; readonly release: Buffer }
  flush(): Buffer
}

export const createSecretStream = (compiled: CompiledNeedles, options: { readonly holdBack: boolean }): SecretStream => {
  const keep = Math.max(compiled.longest - 1, 0)
  let tail = Buffer.alloc(0)
  return {
    push: (chunk) => {
      const data = tail.length === 0 ? chunk : Buffer.concat([tail, chunk])
      const found = compiled.forms.length === 0 ? [] : findIn(latin1(data), compiled)
      if (found.length > 0) return { found, release: Buffer.alloc(0) }
      const cut = Math.max(data.length - keep, 0)
      if (options.holdBack) {
        tail = Buffer.from(data.subarray(cut))
        return { found, release: data.subarray(0, cut) }
      }
      tail = Buffer.from(data.subarray(Math.max(data.length - keep, 0)))
      return { found, release: chunk }
    },
    flush: () => {
      const rest = options.holdBack ? tail : Buffer.alloc(0)
      tail = Buffer.alloc(0)
      return rest
    },
  }
}

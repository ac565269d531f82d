/**
 * A tolerant reader for binding.gyp, which is a Python literal rather than JSON: `#` comments,
 * single or double quotes, trailing commas, adjacent strings concatenated, True/False/None. It is
 * read, never evaluated; one linear pass; every string keeps the offset where it starts.
 */

export type GypValue =
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'list'; readonly items: readonly GypValue[]; readonly offset: number }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [GypValue, GypValue])[]; readonly offset: number }
  | { readonly kind: 'other'; readonly offset: number }

export type GypParse =
  | { readonly kind: 'parsed'; readonly value: GypValue }
  | { readonly kind: 'failed'; readonly message: string; readonly offset: number }

class GypSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message)
  }
}

const MAX_NESTING = 200
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '\'': '\'', '"': '"', '\n': '' }

class GypReader {
  private i = 0

  constructor(private readonly text: string) {}

  private skip(): void {
    const { text } = this
    while (this.i < text.length) {
      const c = text[this.i]
      if (c === '#') {
        const end = text.indexOf('\n', this.i)
        this.i = end === -1 ? text.length : end
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++
      else return
    }
  }

  private string(): string {
    const { text } = this
    const quote = text[this.i] as string
    const triple = text.startsWith(quote.repeat(3), this.i)
    const close = triple ? quote.repeat(3) : quote
    this.i += close.length
    let out = ''
    while (this.i < text.length) {
      if (text.startsWith(close, this.i)) {
        this.i += close.length
        return out
      }
      const c = text[this.i] as string
      if (c === '\\' && this.i + 1 < text.length) {
        const next = text[this.i + 1] as string
        out += ESCAPES[next] ?? `\\${next}`
        this.i += 2
      } else if (c === '\n' && !triple) throw new GypSyntaxError('line break inside a string', this.i)
      else {
        out += c
        this.i++
      }
    }
    throw new GypSyntaxError('unterminated string', this.i)
  }

  private sequence(close: string, item: () => void): void {
    this.i++
    for (;;) {
      this.skip()
      if (this.text[this.i] === close) {
        this.i++
        return
      }
      item()
      this.skip()
      const c = this.text[this.i]
      if (c === ',') this.i++
      else if (c !== close) throw new GypSyntaxError(`expected "," or "${close}"`, this.i)
    }
  }

  value(depth = 0): GypValue {
    if (depth > MAX_NESTING) throw new GypSyntaxError('nested too deeply', this.i)
    this.skip()
    const offset = this.i
    const c = this.text[this.i]
    if (c === '\'' || c === '"') {
      let value = this.string()
      for (this.skip(); this.text[this.i] === '\'' || this.text[this.i] === '"'; this.skip()) value += this.string()
      return { kind: 'string', value, offset }
    }
    if (c === '[' || c === '(') {
      const items: GypValue[] = []
      this.sequence(c === '[' ? ']' : ')', () => items.push(this.value(depth + 1)))
      return { kind: 'list', items, offset }
    }
    if (c === '{') {
      const entries: (readonly [GypValue, GypValue])[] = []
      this.sequence('}', () => {
        const key = this.value(depth + 1)
        this.skip()
        if (this.text[this.i] !== ':') throw new GypSyntaxError('expected ":"', this.i)
        this.i++
        entries.push([key, this.value(depth + 1)])
      })
      return { kind: 'dict', entries, offset }
    }
    const start = this.i
    while (this.i < this.text.length && /[A-Za-z0-9_.+-]/.test(this.text[this.i] as string)) this.i++
    if (this.i === start) throw new GypSyntaxError(c === undefined ? 'unexpected end of file' : `unexpected "${c}"`, this.i)
    return { kind: 'other', offset }
  }

  end(): void {
    this.skip()
    if (this.i < this.text.length) throw new GypSyntaxError('text after the end of the top-level value', this.i)
  }
}

/** Read a binding.gyp (pure, never throws). */
export const parseGyp = (text: string): GypParse => {
  try {
    const reader = new GypReader(text)
    const value = reader.value()
    reader.end()
    return { kind: 'parsed', value }
  } catch (error) {
    if (error instanceof GypSyntaxError) return { kind: 'failed', message: error.message, offset: error.offset }
    throw error
  }
}

/** Every string in a gyp value, with the dictionary keys on the way to it (`targets`, `actions` ...). */
export const gypStrings = (value: GypValue, keys: readonly string[] = []): { value: string; offset: number; keys: readonly string[] }[] => {
  switch (value.kind) {
    case 'string':
      return [{ value: value.value, offset: value.offset, keys }]
    case 'list':
      return value.items.flatMap((item) => gypStrings(item, keys))
    case 'dict':
      return value.entries.flatMap(([key, item]) => [
        ...gypStrings(key, keys),
        ...gypStrings(item, key.kind === 'string' ? [...keys, key.value] : keys),
      ])
    case 'other':
      return []
  }
}

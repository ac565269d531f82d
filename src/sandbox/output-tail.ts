/** Keeps the last `limit` bytes of a stream; earlier bytes are counted, not kept. */
export class OutputTail {
  #chunks: Buffer[] = []
  #kept = 0
  #dropped = 0

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#kept += chunk.length
    while (this.#kept > this.limit && this.#chunks.length > 0) {
      const first = this.#chunks[0]!
      const excess = this.#kept - this.limit
      if (first.length <= excess) {
        this.#chunks.shift()
        this.#kept -= first.length
        this.#dropped += first.length
      } else {
        this.#chunks[0] = first.subarray(excess)
        this.#kept -= excess
        this.#dropped += excess
      }
    }
  }

  text(): string {
    const body = Buffer.concat(this.#chunks).toString('utf8')
    return this.#dropped > 0 ? `[... ${this.#dropped} earlier bytes not kept]\n${body}` : body
  }
}

 
/** Replace every occurrence of a known secret value with a marker; values shorter than 4 chars are ignored. */
export const redactSecrets = (text: string, secrets: readonly string[]): string =>
  secrets.filter((s) => s.length >= 4).reduce((acc, secret) => acc.split(secret).join('[redacted]'), text)

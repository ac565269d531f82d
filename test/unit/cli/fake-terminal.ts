import { EventEmitter } from 'node:events'

/**
 * A stream that records what the progress renderer writes and plays it on a small screen model:
 * text, `\n`, `\r`, cursor up (`ESC[nA`), erase down (`ESC[J`), cursor shown/hidden; colour
 * codes are kept out of the screen. Enough to check what a person would see.
 */
export class FakeTerminal extends EventEmitter {
  readonly writes: string[] = []
  columns: number
  rows: number
  cursorVisible = true
  #screen: string[] = ['']
  #row = 0
  #col = 0

  constructor(columns = 80, rows = 24) {
    super()
    this.columns = columns
    this.rows = rows
  }

  write(text: string): boolean {
    this.writes.push(text)
    for (const token of text.match(/\u001b\[[?0-9;]*[A-Za-z]|[\s\S]/gu) ?? []) this.#apply(token)
    return true
  }

  /** The screen's lines, trailing empty line dropped. */
  get screen(): string[] {
    const lines = [...this.#screen]
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
    return lines
  }

  get output(): string {
    return this.writes.join('')
  }

  resize(columns: number): void {
    this.columns = columns
    this.emit('resize')
  }

  #apply(token: string): void {
    const csi = /^\u001b\[([?0-9;]*)([A-Za-z])$/.exec(token)
    if (csi !== null) {
      const [, arg = '', op] = csi
      if (op === 'A') this.#row = Math.max(0, this.#row - Number(arg === '' ? 1 : arg))
      else if (op === 'J') {
        this.#screen[this.#row] = (this.#screen[this.#row] ?? '').slice(0, this.#col)
        this.#screen.length = this.#row + 1
      } else if (arg === '?25' && op === 'l') this.cursorVisible = false
      else if (arg === '?25' && op === 'h') this.cursorVisible = true
      return
    }
    if (token === '\n') {
      this.#row += 1
      this.#col = 0
      while (this.#screen.length <= this.#row) this.#screen.push('')
      return
    }
    if (token === '\r') {
      this.#col = 0
      return
    }
    const line = this.#screen[this.#row] ?? ''
    this.#screen[this.#row] = line.slice(0, this.#col).padEnd(this.#col) + token + line.slice(this.#col + 1)
    this.#col += 1
  }
}

/**
 * A small POSIX-shell (and cmd.exe-tolerant) reader for install script commands: words, quotes,
 * pipes, lists, redirections and command substitutions. It never expands variables or globs and
 * never fails: anything odd becomes a plain word. One linear pass, no regular expressions.
 */

export interface Redirect {
  readonly op: string
  readonly target: string
}

export interface SimpleCommand {
  readonly argv: string[]
  readonly redirects: Redirect[]
  /** Commands inside `$(...)`, backticks and `<(...)`, as raw text. */
  readonly substitutions: string[]
}

/** Commands joined by `|`. */
export interface Pipeline {
  readonly commands: SimpleCommand[]
}

const MAX_INPUT = 64 * 1024

const newCommand = (): SimpleCommand => ({ argv: [], redirects: [], substitutions: [] })

/** Index just past the `)` matching the `(` at `open`, honouring quotes; or the text's end. */
const closingParen = (text: string, open: number): number => {
  let depth = 0
  let quote = ''
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (quote !== '') {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = ''
    } else if (c === '\'' || c === '"') quote = c
    else if (c === '\\') i++
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i + 1
  }
  return text.length
}

class Reader {
  readonly pipelines: Pipeline[] = []
  private pipeline: SimpleCommand[] = []
  private command = newCommand()
  private word = ''
  private inWord = false
  private redirectOp: string | undefined

  constructor(private readonly text: string) {}

  private endWord(): void {
    if (!this.inWord) return
    if (this.redirectOp !== undefined) {
      this.command.redirects.push({ op: this.redirectOp, target: this.word })
      this.redirectOp = undefined
    } else this.command.argv.push(this.word)
    this.word = ''
    this.inWord = false
  }

  private endCommand(): void {
    this.endWord()
    if (this.command.argv.length > 0 || this.command.substitutions.length > 0 || this.command.redirects.length > 0) this.pipeline.push(this.command)
    this.command = newCommand()
    this.redirectOp = undefined
  }

  private endPipeline(): void {
    this.endCommand()
    if (this.pipeline.length > 0) this.pipelines.push({ commands: this.pipeline })
    this.pipeline = []
  }

  private substitution(start: number, bodyStart: number, end: number, placeholder: string): number {
    this.command.substitutions.push(this.text.slice(bodyStart, end))
    this.word += placeholder
    this.inWord = true
    return end - start
  }

  /** `$(`, `<(`, backticks at i: returns how many characters were consumed, or 0. */
  private trySubstitution(i: number): number {
    const { text } = this
    const c = text[i]
    if ((c === '$' || c === '<' || c === '>') && text[i + 1] === '(') {
      const end = closingParen(text, i + 1)
      return this.substitution(i, i + 2, Math.max(i + 2, end - 1), c === '$' ? '$(…)' : '/dev/fd/63') + (end === text.length ? 0 : 1)
    }
    if (c === '`') {
      const close = text.indexOf('`', i + 1)
      const end = close === -1 ? text.length : close
      return this.substitution(i, i + 1, end, '$(…)') + (close === -1 ? 0 : 1)
    }
    return 0
  }

  private doubleQuoted(start: number): number {
    const { text } = this
    let i = start + 1
    this.inWord = true
    while (i < text.length && text[i] !== '"') {
      const c = text[i] ?? ''
      if (c === '\\' && i + 1 < text.length) {
        const next = text[i + 1] ?? ''
        this.word += '"\\$`\n'.includes(next) ? next : `\\${next}`
        i += 2
        continue
      }
      const used = c === '$' || c === '`' ? this.trySubstitution(i) : 0
      if (used > 0) i += used
      else {
        this.word += c
        i++
      }
    }
    return i + 1
  }

  private redirect(i: number): number {
    const { text } = this
    let j = i
    if (text[j] === '&') j++
    while (text[j] === '>' || text[j] === '<') j++
    if (text[j] === '&' || text[j] === '|') j++
    this.endWord()
    this.redirectOp = text.slice(i, j)
    return j
  }

  read(): Pipeline[] {
    const { text } = this
    let i = 0
    while (i < text.length) {
      const c = text[i] ?? ''
      const next = text[i + 1] ?? ''
      if (c === ' ' || c === '\t' || c === '\r') {
        this.endWord()
        i++
      } else if (c === '\n' || c === ';' || c === '(' || c === ')' || c === '{' && !this.inWord && (next === ' ' || next === '\n') || c === '}' && !this.inWord) {
        this.endPipeline()
        i++
      } else if (c === '&' && next === '&' || c === '|' && next === '|') {
        this.endPipeline()
        i += 2
      } else if (c === '|') {
        this.endCommand()
        i += next === '&' ? 2 : 1
      } else if (c === '&' && next !== '>') {
        this.endPipeline()
        i++
      } else if (c === '#' && !this.inWord) {
        const end = text.indexOf('\n', i)
        i = end === -1 ? text.length : end
      } else if (c === '\'') {
        const close = text.indexOf('\'', i + 1)
        const end = close === -1 ? text.length : close
        this.word += text.slice(i + 1, end)
        this.inWord = true
        i = end + 1
      } else if (c === '"') {
        i = this.doubleQuoted(i)
      } else if (c === '\\') {
        if (next !== '\n') this.word += next
        this.inWord = this.inWord || next !== '\n'
        i += 2
      } else if (c === '^' && next !== '' && !this.inWord) {
        i++
      } else {
        const used = this.trySubstitution(i)
        if (used > 0) i += used
        else if ((c === '>' || c === '<' || c === '&' && next === '>') && this.redirectOp === undefined) {
          if (/^\d+$/.test(this.word) && this.inWord) {
            this.word = ''
            this.inWord = false
          }
          i = this.redirect(i)
        } else {
          this.word += c
          this.inWord = true
          i++
        }
      }
    }
    this.endPipeline()
    return this.pipelines
  }
}

/** Split a command line into pipelines (separated by `;`, `&&`, `||`, `&`, newlines). */
export const readShell = (text: string): Pipeline[] => new Reader(text.slice(0, MAX_INPUT)).read()

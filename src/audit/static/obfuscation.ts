import type { ArrayExpression, CallExpression } from 'acorn'
import type { ObfuscationLimits } from './catalogue.js'
import { calleeMember, calleeObject } from './refs.js'

export interface ObfuscationHit {
  readonly offset: number
  readonly match: string
  readonly message: string
}

const BASE64_CHARS = /^[A-Za-z0-9+/=_-]+$/
const HEX_CHARS = /^[0-9a-fA-F]+$/

/** Shannon entropy in bits per character. */
export const entropy = (text: string): number => {
  const counts = new Map<string, number>()
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let bits = 0
  for (const count of counts.values()) {
    const p = count / text.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/** A string no person would write: base64-like, mixed case and digits, no spaces. */
const unreadable = (text: string): boolean =>
  text.length >= 8 && text.length <= 4096 && BASE64_CHARS.test(text) && /[a-z]/.test(text) && /[A-Z]/.test(text) && /[0-9]/.test(text)

const escapeEnd = (line: string, i: number): number => {
  if (line[i + 1] === 'x') return i + 4
  if (line[i + 2] === '{') {
    const close = line.indexOf('}', i)
    return close === -1 ? i + 3 : close + 1
  }
  return i + 6
}

/**
 * `\x41` / `\u0041` escapes on one line that hide text: escapes in character-class ranges
 * (`\xc0-\xd6`, Unicode identifier tables) and UTF-16 surrogates (emoji regexes) do not count.
 * Counted without a regex.
 */
const escapeCount = (line: string): number => {
  let count = 0
  for (let i = line.indexOf('\\'); i !== -1 && i + 1 < line.length; i = line.indexOf('\\', i + 2)) {
    const next = line[i + 1]
    if (next !== 'x' && next !== 'u') continue
    const end = escapeEnd(line, i)
    const surrogate = next === 'u' && /^[dD][89a-fA-F]/.test(line.slice(i + 2, i + 4))
    if (!surrogate && line[i - 1] !== '-' && line[end] !== '-') count++
    i = end - 2
  }
  return count
}

/**
 * Markers of javascript-obfuscator and packed payloads, gathered while the file is walked:
 * `_0x` identifiers in bulk, string arrays with the push(shift()) rotation, long lines made of
 * escapes, and long high-entropy string literals. Each is a warning: minifiers never do these, but
 * some legitimate packages obfuscate to protect their code.
 */
export class ObfuscationTracker {
  private readonly hexNames = new Set<string>()
  private firstHex = -1
  private rotation = -1
  private readonly arrays: { offset: number; size: number; unreadable: number }[] = []
  private blob: { offset: number; length: number; entropy: number } | undefined

  constructor(private readonly limits: ObfuscationLimits) {}

  identifier(name: string, offset: number): void {
    if (name.length < 5 || !name.startsWith('_0x') || !HEX_CHARS.test(name.slice(3))) return
    if (this.firstHex === -1) this.firstHex = offset
    this.hexNames.add(name)
  }

  array(node: ArrayExpression): void {
    if (node.elements.length < this.limits.stringArray) return
    let strings = 0
    let odd = 0
    for (const el of node.elements) {
      if (el?.type !== 'Literal' || typeof el.value !== 'string') continue
      strings++
      if (unreadable(el.value) || (el.raw ?? '').includes('\\x')) odd++
    }
    if (strings >= node.elements.length * 0.9) this.arrays.push({ offset: node.start, size: strings, unreadable: odd })
  }

  call(node: CallExpression): void {
    if (this.rotation !== -1 || calleeMember(node) !== 'push') return
    const [arg] = node.arguments
    const array = calleeObject(node)
    const shifted = arg?.type === 'CallExpression' && calleeMember(arg) === 'shift' ? calleeObject(arg) : undefined
    if (array?.type === 'Identifier' && shifted?.type === 'Identifier' && array.name === shifted.name) this.rotation = node.start
  }

  literal(value: string, offset: number): void {
    if (value.length < this.limits.blobLength || this.blob !== undefined) return
    const sample = value.length > 65_536 ? value.slice(0, 65_536) : value
    const hex = HEX_CHARS.test(sample)
    if (!hex && !BASE64_CHARS.test(sample.replace(/\s+/g, ''))) return
    const bits = entropy(sample)
    if (hex ? sample.length >= this.limits.blobLength * 2 && bits >= 3.7 : bits >= this.limits.blobEntropy) this.blob = { offset, length: value.length, entropy: bits }
  }

  finish(code: string): ObfuscationHit[] {
    const hits: ObfuscationHit[] = []
    const { limits } = this
    if (this.hexNames.size >= limits.hexIdentifiers) {
      hits.push({ offset: this.firstHex, match: '_0x identifiers', message: `Uses ${this.hexNames.size} identifiers named like _0x1a2b, the signature of javascript-obfuscator: the code hides what it does. Read it de-obfuscated before approving.` })
    }
    const rotated = this.rotation === -1 ? undefined : this.arrays[0]
    if (rotated !== undefined) {
      hits.push({ offset: rotated.offset, match: 'rotated string array', message: `Keeps ${rotated.size} strings in an array it rotates at start-up (push(shift())), how javascript-obfuscator hides names and URLs. Read it de-obfuscated before approving.` })
    }
    const packed = this.arrays.find((a) => a.size >= limits.bigStringArray && a.unreadable >= a.size / 2)
    if (packed !== undefined && rotated === undefined) {
      hits.push({ offset: packed.offset, match: 'encoded string array', message: `Holds an array of ${packed.size} strings, most of them encoded: names and URLs are hidden from a reader. Read it de-obfuscated before approving.` })
    }
    const escaped = escapedLine(code, limits)
    if (escaped !== undefined) {
      hits.push({ offset: escaped.offset, match: 'escaped line', message: `Has a ${escaped.length}-character line made mostly of \\x / \\u escapes: text hidden from a reader. Decode it before approving.` })
    }
    if (this.blob !== undefined) {
      hits.push({ offset: this.blob.offset, match: 'high-entropy blob', message: `Embeds a ${this.blob.length}-character encoded string (entropy ${this.blob.entropy.toFixed(1)} bits per character): packed code or data an install script does not need. Find out what it decodes to before approving.` })
    }
    return hits
  }
}

const escapedLine = (code: string, limits: ObfuscationLimits): { offset: number; length: number } | undefined => {
  let start = 0
  while (start < code.length) {
    const newline = code.indexOf('\n', start)
    const end = newline === -1 ? code.length : newline
    const length = end - start
    if (length >= limits.escapedLine && escapeCount(code.slice(start, end)) * 4 >= length * limits.escapedShare) return { offset: start, length }
    start = end + 1
  }
  return undefined
}

import { describe, expect, it } from 'vitest'
import { OutputTail, redactSecrets } from '../../../src/sandbox/output-tail.js'
import { stripControl } from '../../../src/report/sanitize.js'

describe('OutputTail', () => {
  it('keeps only the last bytes and says how many were dropped', () => {
    const tail = new OutputTail(10)
    tail.push(Buffer.from('0123456789'))
    tail.push(Buffer.from('abcdef'))
    expect(tail.text()).toBe('[... 6 earlier bytes not kept]\n6789abcdef')
  })
})

describe('stripControl / redactSecrets', () => {
  it('removes terminal escapes but keeps newlines and tabs', () => {
    expect(stripControl('a\u001b[31mred\u001b[0m\tb\nc\u0007\u001b]0;title\u0007')).toBe('ared\tb\nc')
  })
  it('redacts known secret values', () => {
    expect(redactSecrets('token=abcd1234 again abcd1234', ['abcd1234', 'x'])).toBe('token=[redacted] again [redacted]')
  })
})

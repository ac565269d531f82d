import { describe, expect, it } from 'vitest'
import { stripControl, stripControlInline } from '../../../src/report/sanitize.js'

describe('stripControl', () => {
  it.each([
    ['colour (CSI SGR)', 'node \u001b[31mred\u001b[0m.js', 'node red.js'],
    ['cursor movement and line erase', 'ok\u001b[2K\u001b[1A\u001b[999D', 'ok'],
    ['OSC 8 hyperlink', '\u001b]8;;https://evil.example.test\u0007click\u001b]8;;\u001b\\', 'click'],
    ['OSC window title ended by ST', '\u001b]0;pwned\u001b\\x', 'x'],
    ['8-bit CSI', 'a\u009b2Jb', 'ab'],
    ['carriage return overwriting a line', 'evil\rgood', 'evilgood'],
    ['backspace, bell, NUL and DEL', 'a\b\u0007\u0000\u007fb', 'ab'],
    ['C1 controls', 'a\u0085\u008db', 'ab'],
    ['bidirectional overrides', 'safe\u202egnp.exe', 'safegnp.exe'],
    ['a lone ESC with a following character', 'x\u001bcy', 'xy'],
  ])('removes %s', (_what, input, expected) => {
    expect(stripControl(input)).toBe(expected)
  })

  it('keeps newlines, tabs and ordinary Unicode', () => {
    expect(stripControl('a\tb\nc — ✓ ü')).toBe('a\tb\nc — ✓ ü')
  })
})

describe('stripControlInline', () => {
  it('also folds newlines and tabs into spaces so a field cannot forge a new line', () => {
    expect(stripControlInline('node x.js\n\u001b[32mno findings\u001b[0m\tok')).toBe('node x.js no findings ok')
  })
})

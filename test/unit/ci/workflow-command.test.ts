import { describe, expect, it } from 'vitest'
import { escapeData, escapeProperty, fenceUntrusted, formatAnnotation, looksLikeCommand } from '../../../src/ci/workflow-command.js'

/** What the runner does to a property or message before showing it (actions/runner ActionCommand). */
const unescape = (text: string): string =>
  text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')

describe('workflow command escaping', () => {
  it('escapes data as @actions/core does: %, CR, LF', () => {
    expect(escapeData('100%\r\nnext: a,b')).toBe('100%25%0D%0Anext: a,b')
  })

  it('escapes properties: also : and , which end a property', () => {
    expect(escapeProperty('a:b,c%d\ne')).toBe('a%3Ab%2Cc%25d%0Ae')
  })

  it('escapes % first, so an escape sequence in the input stays literal', () => {
    expect(escapeData('%0A')).toBe('%250A')
    expect(unescape(escapeProperty('%0A%3A'))).toBe('%0A%3A')
  })
})

describe('formatAnnotation', () => {
  it('writes level, properties in order, and the message', () => {
    expect(formatAnnotation('error', 'boom', { title: 'credential-read: evil@1.0.0', file: 'app/package-lock.json', line: 12 }))
      .toBe('::error title=credential-read%3A evil@1.0.0,file=app/package-lock.json,line=12::boom')
    expect(formatAnnotation('notice', 'plain')).toBe('::notice::plain')
  })

  it('leaves out a line without a file, and a line that is not a positive integer', () => {
    expect(formatAnnotation('warning', 'm', { line: 3 })).toBe('::warning::m')
    expect(formatAnnotation('warning', 'm', { file: 'f', line: 0 })).toBe('::warning file=f::m')
    expect(formatAnnotation('warning', 'm', { file: 'f', line: 1.5 })).toBe('::warning file=f::m')
  })

  it('keeps a hostile name, message and path on one line, inside its own property', () => {
    const name = 'evil,file=.github/workflows/x.yml,line=1::\n::set-output name=ok::1'
    const line = formatAnnotation('error', 'msg\r\n::add-mask::secret\n::stop-commands::x', { title: name, file: 'a,b:c.json' })
    expect(line.split('\n')).toHaveLength(1)
    const [, props, message] = /^::error ([^:]*)::(.*)$/.exec(line) ?? []
    expect(props?.split(',')).toHaveLength(2)
    expect(unescape(props!.split(',')[0]!)).toBe('title=evil,file=.github/workflows/x.yml,line=1:: ::set-output name=ok::1')
    expect(unescape(props!.split(',')[1]!)).toBe('file=a,b:c.json')
    expect(unescape(message!)).toBe('msg\n::add-mask::secret\n::stop-commands::x')
  })

  it('removes control characters, ANSI sequences and bidi overrides', () => {
    const line = formatAnnotation('warning', '\u001b[31mred\u001b[0m\u0007 \u202Egnp.exe\u0000', { title: 'x\u001b]8;;https://evil.example.test\u0007y' })
    expect(line).toBe('::warning title=xy::red gnp.exe')
  })
})

describe('fenceUntrusted', () => {
  const token = 'a1b2c3d4e5f6a7b8c9d0'
  it('stops the runner from obeying any line until the token', () => {
    const hostile = 'report\n      ::set-output name=x::y\n##[error]forged\n'
    expect(looksLikeCommand(hostile)).toBe(true)
    expect(fenceUntrusted(hostile, token)).toBe(`::stop-commands::${token}\n${hostile}::${token}::\n`)
    expect(fenceUntrusted('no newline', token)).toBe(`::stop-commands::${token}\nno newline\n::${token}::\n`)
    expect(fenceUntrusted('', token)).toBe('')
  })

  it('refuses a guessable token', () => {
    expect(() => fenceUntrusted('x', 'short')).toThrow(/token/)
    expect(() => fenceUntrusted('x', 'has::colons::and-more-chars')).toThrow(/token/)
  })

  it('recognises what the runner would take for a command', () => {
    expect(looksLikeCommand('  ::error::x')).toBe(true)
    expect(looksLikeCommand('safe-install: ok\n\t##[group]x')).toBe(true)
    expect(looksLikeCommand('a :: b\n## heading')).toBe(false)
  })
})

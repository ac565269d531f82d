import { describe, expect, it } from 'vitest'
import { readAllowEntries } from '../../../src/policy/allow-scripts.js'
import { editAllowScripts, type AllowEntries } from '../../../src/policy/allow-scripts-edit.js'
import { parsePackageJsonText } from '../../../src/policy/package-json-text.js'

const edit = (text: string, next: AllowEntries): string => editAllowScripts(parsePackageJsonText('/p/package.json', text), next)

/** What npm 11 writes (@npmcli/package-json save): JSON.stringify with the file's indent, its newline, a final newline. */
const npmWrites = (value: unknown, indent: string, eol = '\n'): string => `${JSON.stringify(value, null, indent)}\n`.replace(/\n/g, eol)

const base = { name: 'app', version: '1.0.0', dependencies: { esbuild: '0.25.12', 'left-pad': '1.3.0' } }

describe('editAllowScripts: a new allowScripts field', () => {
  for (const [label, indent] of [['2 spaces', '  '], ['4 spaces', '    '], ['tabs', '\t']] as const) {
    it(`is appended last, indented with ${label}, exactly as npm writes it`, () => {
      const before = npmWrites(base, indent)
      const after = edit(before, [['esbuild@0.25.12', true], ['evil', false]])
      expect(after).toBe(npmWrites({ ...base, allowScripts: { 'esbuild@0.25.12': true, evil: false } }, indent))
    })
  }

  it('keeps CRLF line endings', () => {
    const before = npmWrites(base, '  ', '\r\n')
    const after = edit(before, [['esbuild@0.25.12', true]])
    expect(after).toBe(npmWrites({ ...base, allowScripts: { 'esbuild@0.25.12': true } }, '  ', '\r\n'))
    expect(after.replace(/\r\n/g, '')).not.toContain('\n')
  })

  it('keeps a missing final newline and a BOM', () => {
    const before = `\uFEFF${JSON.stringify(base, null, 2)}`
    const after = edit(before, [['esbuild', true]])
    expect(after).toBe(`\uFEFF${JSON.stringify({ ...base, allowScripts: { esbuild: true } }, null, 2)}`)
  })

  it('does not reformat the property before it (jsonc-parser modify would)', () => {
    const before = '{\n  "name": "app",\n  "files": ["dist", "bin"],\n  "scripts": {"build": "tsc"}\n}\n'
    expect(edit(before, [['esbuild', true]])).toBe(
      '{\n  "name": "app",\n  "files": ["dist", "bin"],\n  "scripts": {"build": "tsc"},\n  "allowScripts": {\n    "esbuild": true\n  }\n}\n')
  })

  it('keeps a one-line file on one line, as npm does', () => {
    expect(edit('{"name":"app","version":"1.0.0"}', [['a', true], ['b', false]])).toBe('{"name":"app","version":"1.0.0","allowScripts":{"a":true,"b":false}}')
  })

  it('fills an empty package.json', () => {
    expect(edit('{}\n', [['a', true]])).toBe('{\n  "allowScripts": {\n    "a": true\n  }\n}\n')
  })

  it('writes nothing for no entries', () => {
    const before = npmWrites(base, '  ')
    expect(edit(before, [])).toBe(before)
  })
})

describe('editAllowScripts: an existing allowScripts field', () => {
  const middle = '{\n    "name": "app",\n    "allowScripts": {\n        "esbuild@0.25.12": true,\n        "evil": false\n    },\n    "dependencies": {\n        "esbuild": "0.25.12"\n    }\n}\n'

  it('appends in the middle of the file, leaving the fields after it alone', () => {
    expect(edit(middle, [['esbuild@0.25.12', true], ['evil', false], ['sharp@0.34.1', true]])).toBe(
      '{\n    "name": "app",\n    "allowScripts": {\n        "esbuild@0.25.12": true,\n        "evil": false,\n        "sharp@0.34.1": true\n    },\n    "dependencies": {\n        "esbuild": "0.25.12"\n    }\n}\n')
  })

  it('removes the first, the last, and changes a value in place', () => {
    expect(edit(middle, [['evil', false]])).toBe(middle.replace('        "esbuild@0.25.12": true,\n', ''))
    expect(edit(middle, [['esbuild@0.25.12', true]])).toBe(middle.replace(',\n        "evil": false', ''))
    expect(edit(middle, [['esbuild@0.25.12', false], ['evil', false]])).toBe(middle.replace('"esbuild@0.25.12": true', '"esbuild@0.25.12": false'))
  })

  it('replaces, then appends (an approval that pins a name-only entry)', () => {
    const before = '{\n  "allowScripts": {\n    "esbuild": true,\n    "other": true\n  }\n}\n'
    expect(edit(before, [['other', true], ['esbuild@0.25.12', true]])).toBe(
      '{\n  "allowScripts": {\n    "other": true,\n    "esbuild@0.25.12": true\n  }\n}\n')
    expect(edit(before, [['esbuild@0.25.12', true]])).toBe('{\n  "allowScripts": {\n    "esbuild@0.25.12": true\n  }\n}\n')
  })

  it('drops the whole field when nothing is left (npm install-scripts prune)', () => {
    expect(edit(middle, [])).toBe('{\n    "name": "app",\n    "dependencies": {\n        "esbuild": "0.25.12"\n    }\n}\n')
    const last = npmWrites({ ...base, allowScripts: { a: true } }, '\t', '\r\n')
    expect(edit(last, [])).toBe(npmWrites(base, '\t', '\r\n'))
  })

  it('fills an empty object and follows an inline one', () => {
    expect(edit('{\n  "allowScripts": {},\n  "z": 1\n}\n', [['a', true]])).toBe('{\n  "allowScripts": {\n    "a": true\n  },\n  "z": 1\n}\n')
    expect(edit('{\n  "allowScripts": {"a": true},\n  "z": 1\n}\n', [['a', true], ['b', false]])).toBe('{\n  "allowScripts": {"a": true, "b": false},\n  "z": 1\n}\n')
  })

  it('rewrites only the allowScripts value when the order itself changes', () => {
    const before = '{\n  "x": [1,2],\n  "allowScripts": {\n    "a": true,\n    "b": true\n  }\n}\n'
    expect(edit(before, [['b', true], ['a', true]])).toBe('{\n  "x": [1,2],\n  "allowScripts": {\n    "b": true,\n    "a": true\n  }\n}\n')
  })
})

describe('parsePackageJsonText and readAllowEntries', () => {
  const fails = (text: string): string => {
    try {
      readAllowEntries(parsePackageJsonText('/p/package.json', text))
    } catch (error) {
      return (error as Error).message
    }
    return 'no error'
  }

  it('refuses comments and trailing commas with file:line:col (npm reads package.json with JSON.parse)', () => {
    expect(fails('{\n  "name": "x",\n  // approved\n  "allowScripts": {}\n}\n')).toBe('/p/package.json:3:3: comments are not allowed in package.json (npm reads it with JSON.parse)')
    expect(fails('{\n  "name": "x",\n}\n')).toMatch(/^\/p\/package\.json:3:1: not valid JSON/)
    expect(fails('\uFEFF{\n  "a": 1 "b": 2\n}')).toMatch(/^\/p\/package\.json:2:10: not valid JSON \(CommaExpected\)/)
    expect(fails('[1]')).toMatch(/must hold a JSON object/)
  })

  it('names the bad entry by its JSON path and position', () => {
    expect(fails('{\n  "allowScripts": {\n    "ok": true,\n    "esbuild": "yes"\n  }\n}\n')).toBe('/p/package.json:4:16: allowScripts["esbuild"] must be true or false, not "yes"')
    expect(fails('{\n  "allowScripts": ["esbuild"]\n}\n')).toMatch(/^\/p\/package\.json:2:19: "allowScripts" must be an object/)
    expect(fails('{\n  "allowScripts": {"a": true, "a": false}\n}\n')).toBe('/p/package.json:2:31: allowScripts["a"] appears twice; npm reads only the last one')
    expect(fails('{"allowScripts": {}, "allowScripts": {"a": true}}')).toMatch(/1:22: "allowScripts" appears twice/)
  })

  it('detects the indentation and newline npm would use', () => {
    expect(parsePackageJsonText('f', '{\n\t"a": 1\n}').indent).toBe('\t')
    expect(parsePackageJsonText('f', '{\r\n    "a": 1\r\n}\r\n')).toMatchObject({ indent: '    ', eol: '\r\n' })
    expect(parsePackageJsonText('f', '{"a":1}').indent).toBe('')
  })
})

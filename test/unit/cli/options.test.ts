import { describe, expect, it } from 'vitest'
import { toNpmArgs } from '../../../src/cli/options.js'
import { indexLockfileLines } from '../../../src/report/locate.js'

describe('toNpmArgs', () => {
  it('translates our parsed flags back to npm flags for npm config loading', () => {
    expect(toNpmArgs({ 'save-dev': true, save: false, omit: ['dev', 'optional'], registry: 'http://127.0.0.1:1/', workspace: 'a' }))
      .toEqual(['--save-dev', '--no-save', '--omit=dev', '--omit=optional', '--workspace=a', '--registry=http://127.0.0.1:1/'])
  })
})

describe('indexLockfileLines', () => {
  it('finds the line of each package entry', () => {
    const text = '{\n  "packages": {\n    "": {\n    },\n    "node_modules/a": {\n      "version": "1.0.0"\n    }\n  }\n}\n'
    const lines = indexLockfileLines(text)
    expect(lines.get('node_modules/a')).toBe(5)
    expect(lines.get('')).toBe(3)
  })
})

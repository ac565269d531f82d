import { readFileSync, readdirSync } from 'node:fs'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { policyDocs, ruleDocs } from '../../../src/docs/generate.js'
import { knownPackagesDocs } from '../../../src/docs/known-packages-docs.js'
import type { KnownPackagesFile } from '../../../src/policy/layers.js'

const root = new URL('../../../', import.meta.url)
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8')

describe('generated docs and shipped data', () => {
  it('docs/rules.md, docs/policy.md and docs/known-packages.md match the code and data (run scripts/gen-docs.mjs after a change)', () => {
    expect(read('docs/rules.md')).toBe(ruleDocs())
    expect(read('docs/policy.md')).toBe(policyDocs(JSON.parse(read('policies/policy.schema.json')) as object))
    expect(read('docs/known-packages.md')).toBe(knownPackagesDocs(JSON.parse(read('policies/known-packages.json')) as KnownPackagesFile))
  })

  it('every shipped preset validates against its schema', () => {
    const ajv = new Ajv({ strict: false })
    const policy = ajv.compile(JSON.parse(read('policies/policy.schema.json')) as object)
    const known = ajv.compile(JSON.parse(read('policies/known-packages.schema.json')) as object)
    const presets = readdirSync(new URL('policies/', root)).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    expect(presets.sort()).toEqual(['default.json', 'known-packages.json', 'strict.json'])
    for (const file of ['default.json', 'strict.json']) expect(policy(JSON.parse(read(`policies/${file}`))), file).toBe(true)
    expect(known(JSON.parse(read('policies/known-packages.json'))), JSON.stringify(known.errors)).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { knownPackagesLayer, mergeLayers, policyFileLayer } from '../../../src/policy/layers.js'
import { grantFor, type GrantSubject, type Policy } from '../../../src/policy/policy.js'
import { readKnownPackages } from '../../../src/policy/presets.js'

const NOTHING = { network: [], write: [], env: [] }

const approved = (name: string, version: string, over: Partial<GrantSubject> = {}): GrantSubject => ({
  name, version, approval: 'approved', source: 'registry', isRoot: false, ...over,
})

const withKnown = (own: Parameters<typeof policyFileLayer>[0] = {}): Policy =>
  mergeLayers([knownPackagesLayer(readKnownPackages(), 'known-packages'), policyFileLayer(own, { kind: 'policy' })], 'test')

describe('grantFor with the known-packages preset', () => {
  const policy = withKnown()

  it('grants an approved registry package what its entry lists', () => {
    expect(grantFor(policy, approved('puppeteer', '24.10.0'))).toEqual({
      network: ['storage.googleapis.com'], write: ['~/.cache/puppeteer'], env: ['PUPPETEER_*'], timeoutSec: 900,
    })
  })

  it('never grants a preset entry to an unreviewed or denied script, a non-registry look-alike or the project itself', () => {
    expect(grantFor(policy, approved('puppeteer', '24.10.0', { approval: 'unreviewed' }))).toEqual(NOTHING)
    expect(grantFor(policy, approved('puppeteer', '24.10.0', { approval: 'denied' }))).toEqual(NOTHING)
    for (const source of ['git', 'directory', 'file', 'remote', 'unknown'] as const) {
      expect(grantFor(policy, approved('electron', '30.0.0', { source })), source).toEqual(NOTHING)
    }
    expect(grantFor(policy, approved('cypress', '13.0.0', { source: 'root', isRoot: true }))).toEqual(NOTHING)
  })

  it('applies an entry only within its version range (prereleases included, unknown versions excluded)', () => {
    expect(grantFor(policy, approved('bcrypt', '5.1.1')).network).toEqual(['github.com', 'release-assets.githubusercontent.com'])
    expect(grantFor(policy, approved('bcrypt', '6.0.0'))).toEqual(NOTHING)
    expect(grantFor(policy, approved('canvas', '3.2.3')).network).toHaveLength(2)
    expect(grantFor(policy, approved('canvas', '4.0.0-rc3'))).toEqual(NOTHING)
    expect(grantFor(policy, approved('playwright-chromium', '1.49.1'))).toEqual(NOTHING)
    expect(grantFor(policy, approved('playwright-chromium', '1.58.0-beta-1')).network).toContain('cdn.playwright.dev')
    expect(grantFor(policy, approved('bcrypt', ''))).toEqual(NOTHING)
  })

  it('keeps the user\'s own entries as before: any identity, and name@version adds to the name\'s grant', () => {
    const own = withKnown({ packages: { 'my-tool': { network: ['tool.example'] }, 'puppeteer@24.10.0': { env: ['EXTRA'], timeoutSec: 60 } } })
    expect(grantFor(own, approved('my-tool', '1.0.0', { approval: 'unreviewed', source: 'git' })).network).toEqual(['tool.example'])
    expect(grantFor(own, approved('puppeteer', '24.10.0'))).toMatchObject({ env: ['PUPPETEER_*', 'EXTRA'], timeoutSec: 60 })
    expect(grantFor(own, approved('puppeteer', '24.10.0', { approval: 'unreviewed' }))).toMatchObject({ network: [], env: ['EXTRA'] })
  })

  it('treats package names like "constructor" and "__proto__" as plain keys', () => {
    const own = mergeLayers([policyFileLayer(JSON.parse('{"packages":{"__proto__":{"network":["x.example"]}}}') as object, { kind: 'policy' })], 't')
    expect(grantFor(own, approved('constructor', '1.0.0'))).toEqual(NOTHING)
    expect(grantFor(own, approved('toString', '1.0.0'))).toEqual(NOTHING)
    expect(grantFor(own, approved('__proto__', '1.0.0')).network).toEqual(['x.example'])
  })
})

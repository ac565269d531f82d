import { mkdtemp, rm } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseGrants } from '../../../src/egress/host-rules.js'
import { decideFetch, hostKey, openResolverGate, registriesOf } from '../../../src/resolve/resolver-gate.js'

const rules = (grants: string[] = []) => ({
  registries: registriesOf({ registry: 'https://registry.example.test/', '@corp:registry': 'http://10.0.0.5:4873/npm/', other: 'https://x.test/' }),
  grants: parseGrants(grants).grants,
})

describe('registriesOf', () => {
  it('takes registry and every @scope:registry, as host:port with default ports', () => {
    expect([...rules().registries].sort()).toEqual(['10.0.0.5:4873', 'registry.example.test:443'])
    expect(hostKey(new URL('http://a.test/x'))).toBe('a.test:80')
  })
})

describe('decideFetch', () => {
  it('allows the configured registries, on their port only', () => {
    expect(decideFetch(new URL('https://registry.example.test/pkg/-/pkg-1.0.0.tgz'), rules(), new Set())).toEqual({ kind: 'allow' })
    expect(decideFetch(new URL('http://10.0.0.5:4873/npm/x'), rules(), new Set())).toEqual({ kind: 'allow' })
    expect(decideFetch(new URL('http://registry.example.test/x'), rules(), new Set()).kind).toBe('deny')
    expect(decideFetch(new URL('http://10.0.0.5:9/x'), rules(), new Set()).kind).toBe('deny')
  })
  it('refuses remote tarball hosts (PhantomRaven) unless network.allow grants them', () => {
    const url = new URL('http://packages.storeartifact.test/npm/ui-styles-pkg')
    const denied = decideFetch(url, rules(), new Set())
    expect(denied).toMatchObject({ kind: 'deny', reason: expect.stringContaining('packages.storeartifact.test') })
    expect(decideFetch(url, rules(['*.storeartifact.test']), new Set())).toEqual({ kind: 'allow' })
  })
  it('allows a host a registry redirected to', () => {
    expect(decideFetch(new URL('https://cdn.example.test/t.tgz'), rules(), new Set(['cdn.example.test:443']))).toEqual({ kind: 'allow' })
  })
})

describe('openResolverGate', () => {
  it('answers a refused URL with 403 from inside the process and records it once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gate-test-'))
    const gate = await openResolverGate({ flat: { registry: 'https://registry.example.test/' }, grants: [], dir, node: process.execPath, git: 'git' })
    try {
      const url = new URL('http://refused.example.test/x.tgz')
      for (let i = 0; i < 2; i += 1) {
        const status = await new Promise<number>((resolve, reject) => {
          get(url, { agent: gate.agent(url) as never }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          }).on('error', reject)
        })
        expect(status).toBe(403)
      }
      expect(gate.refusals()).toEqual([{ url: url.href, reason: expect.stringContaining('refused.example.test') }])
    } finally {
      await gate.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

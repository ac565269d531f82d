import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { parseGrant } from '../../../src/egress/host-rules.js'
import type { KnownPackage, KnownPackagesFile } from '../../../src/policy/layers.js'
import { isSecretName } from '../../../src/sandbox/env/secret-patterns.js'

const root = new URL('../../../', import.meta.url)
const text = readFileSync(new URL('policies/known-packages.json', root), 'utf8')
const data = JSON.parse(text) as KnownPackagesFile
const entries: Array<[string, Omit<KnownPackage, 'versions'> & { versions?: string }]> = [
  ...Object.entries(data.packages), ...Object.entries(data.shared ?? {}),
]

/** npm's own default registry, read from npm's definitions so its name is written nowhere here. */
const npmDefaultRegistryHost = (): string => {
  const require = createRequire(import.meta.url)
  const { definitions } = require('@npmcli/config/lib/definitions/index.js') as { definitions: { registry: { default: string } } }
  return new URL(definitions.registry.default).hostname
}

/** Suffixes shared by many unrelated tenants: a wildcard under one of them grants strangers. */
const SHARED_SUFFIXES = ['githubusercontent.com', 'github.io', 'googleapis.com', 'azureedge.net', 'amazonaws.com', 'cloudfront.net', 'windows.net', 'appspot.com', 'herokuapp.com', 'vercel.app', 'netlify.app', 'pages.dev', 'workers.dev']

const hostOf = (grant: string): string => grant.replace(/:\d+$/, '').replace(/^\*\./, '')

describe('policies/known-packages.json', () => {
  it('validates against policies/known-packages.schema.json', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(new URL('policies/known-packages.schema.json', root), 'utf8')) as object)
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true)
  })

  it('covers the packages the brief names', () => {
    for (const name of ['puppeteer', 'playwright-chromium', 'cypress', 'electron', '@prisma/engines', '@prisma/client', 'sharp', 'sqlite3',
      'better-sqlite3', 'bcrypt', 'canvas', 'node-sass', 'sass-embedded', 'esbuild', '@swc/core', 'core-js', 'husky']) {
      expect(data.packages, name).toHaveProperty([name])
    }
    expect(Object.keys(data.shared ?? {})).toEqual(expect.arrayContaining(['node-gyp', 'prebuild-install']))
  })

  it.each(entries)('%s has a one-line reason and an https source', (_name, entry) => {
    expect(entry.reason).toMatch(/^[^\n]{10,300}$/)
    expect(new URL(entry.source).protocol).toBe('https:')
    if (entry.note !== undefined) expect(entry.note).not.toContain('\n')
  })

  it('every network grant is a valid host, never "*" and no wildcard wider than one registrable domain', () => {
    for (const [name, entry] of entries) {
      for (const grant of entry.network ?? []) {
        expect(parseGrant(grant).kind, `${name}: ${grant}`).toBe('ok')
        if (!grant.startsWith('*.')) continue
        const suffix = hostOf(grant)
        expect(suffix.split('.').length, `${name}: ${grant} is a whole TLD`).toBeGreaterThanOrEqual(2)
        expect(SHARED_SUFFIXES.some((s) => suffix === s || suffix.endsWith(`.${s}`)), `${name}: ${grant} is a shared hosting suffix`).toBe(false)
      }
    }
  })

  it('names no registry host: scripts reach no registry by this preset', () => {
    const registry = npmDefaultRegistryHost()
    expect(text.toLowerCase()).not.toContain(registry)
    for (const [name, entry] of entries) {
      for (const grant of entry.network ?? []) {
        const labels = hostOf(grant).toLowerCase().split('.')
        expect(labels.some((label) => ['registry', 'npmjs', 'yarnpkg', 'npmmirror'].includes(label)), `${name}: ${grant}`).toBe(false)
      }
    }
  })

  it('writes only under ~ and passes no secret-looking or unbounded variables', () => {
    for (const [name, entry] of entries) {
      for (const path of entry.write ?? []) expect(path, name).toMatch(/^~(\/(?!\.\.?(\/|$))[^/]+)+$/)
      for (const env of entry.env ?? []) {
        expect(isSecretName(env.replace(/\*$/, '')), `${name}: ${env}`).toBe(false)
        expect(env, `${name}: a glob needs a prefix of its own`).toMatch(/^[A-Za-z][A-Za-z0-9]+_[A-Za-z0-9_]*\*?$|^[A-Za-z_][A-Za-z0-9_]*$/)
      }
    }
  })

  it('every skipWith switch reaches the script: an npm_config_* setting or a variable of the entry\'s env grant', () => {
    for (const [name, entry] of entries) {
      for (const setting of entry.skipWith ?? []) {
        const variable = setting.slice(0, setting.indexOf('='))
        const granted = (entry.env ?? []).some((glob) => (glob.endsWith('*') ? variable.startsWith(glob.slice(0, -1)) : variable === glob))
        expect(variable.startsWith('npm_config_') || granted, `${name}: ${setting}`).toBe(true)
      }
    }
  })

  it('version ranges are valid semver ranges and keys are bare package names', () => {
    for (const [name, entry] of Object.entries(data.packages)) {
      expect(name).not.toMatch(/.@/)
      if (entry.versions !== undefined) expect(semver.validRange(entry.versions), name).not.toBeNull()
    }
  })
})

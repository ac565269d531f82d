import { describe, expect, it } from 'vitest'
import { auditLockfile, type AuditContext } from '../../../src/audit/checks.js'
import { parseLockfile } from '../../../src/audit/lockfile/index.js'
import type { Finding } from '../../../src/types.js'

const ctx: AuditContext = {
  lockfilePath: 'package-lock.json',
  projectDir: '/work/p',
  registries: ['https://registry.example.test/', 'https://scoped.example.test/npm/'],
  allowedHosts: ['mirror.example.test'],
  allowScripts: { entries: { good: true, bad: false, 'pinned@1.0.0': true }, source: 'package.json', ignored: [] },
}

const lockOf = (packages: Record<string, Record<string, unknown>>): string =>
  JSON.stringify({ name: 'p', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'p', version: '1.0.0' }, ...packages } }, null, 2)

const tgz = (name: string, version = '1.0.0', host = 'registry.example.test'): string =>
  `https://${host}/${name}/-/${name.split('/').pop() ?? name}-${version}.tgz`

const audit = async (packages: Record<string, Record<string, unknown>>, over: Partial<AuditContext> = {}): Promise<Finding[]> =>
  auditLockfile(await parseLockfile('package-lock.json', lockOf(packages)), { ...ctx, ...over })

const rules = (findings: Finding[]): string[] => findings.map((f) => `${f.rule} ${f.severity} ${f.package.name}`)

describe('auditLockfile', () => {
  it('says nothing about a clean registry entry from a configured registry, a scoped one, or an allowed host', async () => {
    expect(await audit({
      'node_modules/a': { version: '1.0.0', resolved: tgz('a'), integrity: 'sha512-AAAA' },
      'node_modules/@s/b': { version: '2.0.0', resolved: 'https://scoped.example.test/npm/@s/b/-/b-2.0.0.tgz', integrity: 'sha512-BBBB' },
      'node_modules/c': { version: '1.0.0', resolved: tgz('c', '1.0.0', 'mirror.example.test'), integrity: 'sha512-CCCC' },
      'node_modules/d': { version: '1.0.0', integrity: 'sha512-DDDD' },
    })).toEqual([])
  })

  it('classifies install scripts with npm\'s own allowScripts matcher: approved, denied, pinned, unreviewed', async () => {
    const packages = {
      'node_modules/good': { version: '1.0.0', resolved: tgz('good'), integrity: 'sha512-A', hasInstallScript: true },
      'node_modules/bad': { version: '1.0.0', resolved: tgz('bad'), integrity: 'sha512-A', hasInstallScript: true },
      'node_modules/pinned': { version: '2.0.0', resolved: tgz('pinned', '2.0.0'), integrity: 'sha512-A', hasInstallScript: true },
      'node_modules/x/node_modules/bundled': { version: '1.0.0', inBundle: true, hasInstallScript: true },
    }
    const findings = await audit(packages)
    expect(findings.map((f) => [f.package.name, f.severity, f.evidence['approval'], f.evidence['fix']])).toEqual([
      ['good', 'note', 'approved', undefined],
      ['bad', 'note', 'denied', undefined],
      ['pinned', 'warning', 'unreviewed', 'safe-install policy approve pinned'],
      ['bundled', 'note', 'bundled', undefined],
    ])
    const line = lockOf(packages).split('\n').findIndex((l) => l.includes('"node_modules/pinned"')) + 1
    expect(findings[2]?.evidence).toMatchObject({ lockfile: 'package-lock.json', key: 'node_modules/pinned', line, column: 5 })
  })

  it('flags the sources a tampered lockfile uses', async () => {
    const findings = await audit({
      'node_modules/plain': { version: '1.0.0', resolved: 'http://203.0.113.9/plain/-/plain-1.0.0.tgz', integrity: 'sha512-A' },
      'node_modules/raven': { version: '1.0.0', resolved: 'https://cdn.example.test/raven.tgz' },
      'node_modules/swap': { version: '1.0.0', resolved: tgz('other'), integrity: 'sha512-A' },
      'node_modules/gitdep': { version: '1.0.0', resolved: 'git+ssh://git@github.com/o/r.git#0123456789abcdef0123456789abcdef01234567' },
      'node_modules/old': { version: '1.0.0', resolved: tgz('old'), integrity: 'sha1-AAAA' },
      'node_modules/bare': { version: '1.0.0', resolved: tgz('bare') },
      'node_modules/local': { version: '1.0.0', resolved: 'http://127.0.0.1:4873/local/-/local-1.0.0.tgz', integrity: 'sha512-A' },
    }, { allowedHosts: ['127.0.0.1:4873'] })
    expect(rules(findings)).toEqual([
      'lockfile-insecure-protocol error plain', 'lockfile-untrusted-host error plain',
      'lockfile-untrusted-host error raven', 'lockfile-missing-integrity error raven', 'lockfile-remote-tarball warning raven',
      'lockfile-name-mismatch error swap',
      'lockfile-git-source warning gitdep',
      'lockfile-weak-integrity warning old',
      'lockfile-missing-integrity warning bare',
    ])
    expect(findings.find((f) => f.rule === 'lockfile-git-source')?.evidence['pinned']).toBe(true)
  })

  it('flags keys and local sources outside the project, and duplicate keys', async () => {
    const text = lockOf({
      '../../etc/x': { version: '1.0.0' },
      'node_modules/vendored': { version: '1.0.0', resolved: 'file:../elsewhere/vendored.tgz', integrity: 'sha512-A' },
      'node_modules/inside': { version: '1.0.0', resolved: 'file:vendor/inside.tgz', integrity: 'sha512-A' },
    }).replace('"node_modules/inside": {', '"node_modules/twice": { "version": "1.0.0", "resolved": "' + tgz('twice') + '", "integrity": "sha512-A" },\n    "node_modules/twice": { "version": "2.0.0", "resolved": "' + tgz('twice', '2.0.0') + '", "integrity": "sha512-B" },\n    "node_modules/inside": {')
    const findings = auditLockfile(await parseLockfile('package-lock.json', text), ctx)
    expect(rules(findings)).toEqual([
      'lockfile-path-traversal error x', 'lockfile-path-traversal error vendored', 'lockfile-duplicate error twice', 'lockfile-duplicate error twice',
    ])
  })
})

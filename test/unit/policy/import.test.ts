import { describe, expect, it } from 'vitest'
import { importBun } from '../../../src/policy/import/bun.js'
import { importLavamoat } from '../../../src/policy/import/lavamoat.js'
import { planImport } from '../../../src/policy/import/plan-import.js'
import { importPnpm } from '../../../src/policy/import/pnpm.js'
import type { ImportedDecision, SourceDocument } from '../../../src/policy/import/types.js'
import { importYarn } from '../../../src/policy/import/yarn.js'
import type { InstalledPackage } from '../../../src/types.js'

const doc = (file: string, value: unknown): SourceDocument => ({ file, value, locate: () => `${file}:1:1` })
const pkgJson = (value: unknown): SourceDocument => doc('package.json', value)
const summary = (decisions: readonly ImportedDecision[]): string[] =>
  decisions.map((d) => `${d.allow ? 'allow' : 'deny'} ${d.name}${d.versions === null ? '' : `@${d.versions.join('|')}`}`)

describe('importPnpm', () => {
  const noFile = (): undefined => undefined

  it('reads allowBuilds, onlyBuiltDependencies (with versions) and ignoredBuiltDependencies from pnpm-workspace.yaml and package.json', () => {
    const workspace = doc('pnpm-workspace.yaml', {
      allowBuilds: { esbuild: true, 'core-js': false, 'nx@21.6.4 || 21.6.5': true },
      ignoredBuiltDependencies: ['@parcel/watcher'],
    })
    const found = importPnpm({ packageJson: pkgJson({ pnpm: { onlyBuiltDependencies: ['sharp', 'bcrypt@5.1.1'] } }), workspace, readListFile: noFile })
    expect(found.found).toBe(true)
    expect(summary(found.decisions)).toEqual(['allow esbuild', 'deny core-js', 'allow nx@21.6.4|21.6.5', 'deny @parcel/watcher', 'allow sharp', 'allow bcrypt@5.1.1'])
    expect(found.decisions[0]?.from).toBe('pnpm-workspace.yaml allowBuilds["esbuild"]')
    expect(found.decisions[4]?.from).toBe('package.json pnpm.onlyBuiltDependencies[0]')
    expect(found.unmapped).toEqual([])
  })

  it('reports what allowScripts cannot say: name patterns, ranges, dangerouslyAllowAllBuilds, the deny-list neverBuiltDependencies', () => {
    const found = importPnpm({
      packageJson: pkgJson({ pnpm: { onlyBuiltDependencies: ['@types/*', 'x@^1'], dangerouslyAllowAllBuilds: true } }),
      workspace: doc('pnpm-workspace.yaml', { neverBuiltDependencies: ['fsevents'] }),
      readListFile: noFile,
    })
    expect(summary(found.decisions)).toEqual(['deny fsevents'])
    expect(found.unmapped.map((u) => u.from)).toEqual([
      'pnpm-workspace.yaml neverBuiltDependencies',
      'package.json pnpm.onlyBuiltDependencies[0] "@types/*"',
      'package.json pnpm.onlyBuiltDependencies[1] "x@^1"',
      'package.json pnpm.dangerouslyAllowAllBuilds',
    ])
    expect(found.unmapped[0]?.reason).toMatch(/deny-list: pnpm built every other package/)
  })

  it('ignores neverBuiltDependencies beside onlyBuiltDependencies, as pnpm does, and reads onlyBuiltDependenciesFile', () => {
    const found = importPnpm({
      packageJson: pkgJson({ pnpm: { onlyBuiltDependencies: [], onlyBuiltDependenciesFile: 'allowed.json', neverBuiltDependencies: ['y'] } }),
      readListFile: (name) => (name === 'allowed.json' ? doc('allowed.json', ['esbuild']) : undefined),
    })
    expect(summary(found.decisions)).toEqual(['allow esbuild'])
    expect(found.unmapped[0]?.reason).toBe('pnpm ignores it when onlyBuiltDependencies is set')
  })

  it('fails on a field of the wrong type with its path', () => {
    expect(() => importPnpm({ packageJson: pkgJson({ pnpm: { onlyBuiltDependencies: 'esbuild' } }), readListFile: noFile }))
      .toThrow('package.json:1:1: pnpm.onlyBuiltDependencies must be a list of package names, not a string "esbuild"')
    expect(() => importPnpm({ packageJson: pkgJson({}), workspace: doc('pnpm-workspace.yaml', { allowBuilds: { esbuild: 'yes' } }), readListFile: noFile }))
      .toThrow('pnpm-workspace.yaml:1:1: allowBuilds["esbuild"] must be true or false, not a string "yes"')
  })

  it('finds nothing in a project without pnpm settings', () => {
    expect(importPnpm({ packageJson: pkgJson({ name: 'x' }), readListFile: noFile }).found).toBe(false)
  })
})

describe('importBun, importYarn, importLavamoat', () => {
  it('Bun: trustedDependencies are approvals', () => {
    const found = importBun(pkgJson({ trustedDependencies: ['esbuild', 'github:o/r'] }))
    expect(summary(found.decisions)).toEqual(['allow esbuild', 'allow github:o/r'])
    expect(importBun(pkgJson({})).found).toBe(false)
    expect(() => importBun(pkgJson({ trustedDependencies: [1] }))).toThrow('trustedDependencies[0] must be a package name (a string), not number 1')
  })

  it('Yarn: dependenciesMeta built false/true; without enableScripts: false the implicit approvals are reported', () => {
    const packageJson = pkgJson({ dependenciesMeta: { fsevents: { built: false }, 'esbuild@0.25.12': { built: true }, react: { optional: true } } })
    const open = importYarn(packageJson, undefined)
    expect(summary(open.decisions)).toEqual(['deny fsevents', 'allow esbuild@0.25.12'])
    expect(open.unmapped[0]?.reason).toMatch(/Yarn also ran the scripts of every package not listed/)
    expect(importYarn(packageJson, doc('.yarnrc.yml', { enableScripts: false })).unmapped).toEqual([])
    expect(() => importYarn(pkgJson({ dependenciesMeta: { x: { built: 'no' } } }), undefined)).toThrow('dependenciesMeta["x"].built must be true or false')
  })

  it('LavaMoat: canonical paths become their leaf package, #version an exact pin, with notes', () => {
    const found = importLavamoat(pkgJson({ lavamoat: { allowScripts: {
      'webpack>watchpack>fsevents': false, keccak: true, 'a>@scope/b#1.2.3': true, $root$: true, 'github:o/r': true,
    } } }))
    expect(summary(found.decisions)).toEqual(['deny fsevents', 'allow keccak', 'allow @scope/b@1.2.3', 'allow github:o/r'])
    expect(found.decisions[0]?.note).toBe('LavaMoat denied fsevents where reached through webpack>watchpack; allowScripts applies to every installed copy')
    expect(found.decisions[2]?.note).toMatch(/also allowed versions older than 1.2.3; only 1.2.3 is pinned/)
    expect(found.unmapped.map((u) => u.from)).toEqual(['package.json lavamoat.allowScripts["$root$"]'])
    expect(() => importLavamoat(pkgJson({ lavamoat: { allowScripts: { 'a>b': 'yes' } } }))).toThrow('lavamoat.allowScripts["a>b"] must be true or false')
  })
})

describe('planImport', () => {
  const installed = (name: string, version: string, over: Partial<InstalledPackage> = {}): InstalledPackage => ({
    location: `node_modules/${name}`, displayName: name, displayVersion: version, nameKey: name, versionedKey: `${name}@${version}`,
    hasScripts: true, linkOrInert: false, unreviewed: true, targetedBy: [], matchedBy: [], ...over,
  })
  const decision = (name: string, allow: boolean, versions: string[] | null = null, tool: ImportedDecision['tool'] = 'pnpm'): ImportedDecision =>
    ({ tool, from: `${tool} ${name}`, name, versions, allow })

  it('pins installed packages, writes others by name or exact version, and denies by name', () => {
    const plan = planImport([], [installed('esbuild', '0.25.12')], [
      decision('esbuild', true), decision('sharp', true), decision('nx', true, ['21.6.4', '21.6.5']), decision('core-js', false),
    ], true)
    expect(plan.next).toEqual([['esbuild@0.25.12', true], ['sharp', true], ['nx@21.6.4', true], ['nx@21.6.5', true], ['core-js', false]])
    expect(plan.changes[1]).toMatchObject({ action: 'approved', key: 'sharp', from: 'pnpm sharp', note: 'not installed here, so written by name' })
    expect(planImport([], [installed('esbuild', '0.25.12')], [decision('esbuild', true)], false).next).toEqual([['esbuild', true]])
  })

  it('never overrides an existing entry, and lets a denial win over another tool\'s approval', () => {
    const plan = planImport([['esbuild@0.25.12', false]], [installed('esbuild', '0.25.12', { targetedBy: ['esbuild@0.25.12'] })], [
      decision('esbuild', true), decision('fsevents', true, null, 'bun'), decision('fsevents', false, null, 'yarn'), decision('fsevents', false, null, 'lavamoat'),
    ], true)
    expect(plan.next).toEqual([['esbuild@0.25.12', false], ['fsevents', false]])
    expect(plan.kept).toEqual([{ decision: decision('esbuild', true), entry: 'esbuild@0.25.12' }])
    expect(plan.unmapped).toEqual([{ tool: 'bun', from: 'bun fsevents', reason: 'yarn fsevents denies fsevents; the denial wins, as in npm' }])
  })
})

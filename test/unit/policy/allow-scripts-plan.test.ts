import { describe, expect, it } from 'vitest'
import type { AllowEntries } from '../../../src/policy/allow-scripts-edit.js'
import { isNameOnlyKey, isSingleVersionPin, parseAllowKey } from '../../../src/policy/allow-scripts-keys.js'
import { planApproval, planPrune, type ApprovalRequest } from '../../../src/policy/allow-scripts-plan.js'
import type { InstalledPackage } from '../../../src/types.js'

/** A registry package as the Arborist reader describes it; `keys` are the existing entries naming it. */
const registry = (name: string, version: string, over: Partial<InstalledPackage> = {}): InstalledPackage => ({
  location: `node_modules/${name}@${version}`, displayName: name, displayVersion: version, nameKey: name, versionedKey: `${name}@${version}`,
  hasScripts: true, linkOrInert: false, unreviewed: true, targetedBy: [], matchedBy: [], ...over,
})

/** Fill targetedBy/matchedBy for the given entries the way npm's matcher would, for registry keys. */
const related = (entries: AllowEntries, packages: InstalledPackage[]): InstalledPackage[] => packages.map((pkg) => {
  const targetedBy = entries.map(([key]) => key).filter((key) => { const p = parseAllowKey(key); return p.kind === 'registry' && p.name === pkg.displayName })
  const matchedBy = targetedBy.filter((key) => {
    const p = parseAllowKey(key)
    return p.kind === 'registry' && (p.spec === null || p.spec.split('||').map((v) => v.trim()).includes(pkg.displayVersion ?? ''))
  })
  return { ...pkg, targetedBy, matchedBy, unreviewed: pkg.unreviewed && pkg.hasScripts && matchedBy.length === 0 }
})

const approve = (entries: AllowEntries, packages: InstalledPackage[], over: Partial<ApprovalRequest> = {}) =>
  planApproval(entries, related(entries, packages), { verb: 'approve', specs: [], all: false, pin: true, ...over })

const tree = [registry('esbuild', '0.25.12'), registry('sharp', '0.34.1'), registry('sharp', '0.33.5', { location: 'node_modules/x/node_modules/sharp' }), registry('left-pad', '1.3.0', { hasScripts: false })]

describe('planApproval (npm 11 install-scripts approve)', () => {
  it('pins every installed version, one key each, in tree order', () => {
    const plan = approve([['other', true]], tree, { specs: ['sharp'] })
    expect(plan.next).toEqual([['other', true], ['sharp@0.34.1', true], ['sharp@0.33.5', true]])
    expect(plan.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['approved sharp@0.34.1', 'approved sharp@0.33.5'])
  })

  it('--no-pin writes the bare name and folds pins into it', () => {
    const plan = approve([['sharp@0.34.1', true], ['x', false]], tree, { specs: ['sharp'], pin: false })
    expect(plan.next).toEqual([['x', false], ['sharp', true]])
  })

  it('replaces a name-only approval with pins once every installed version is pinned', () => {
    const plan = approve([['esbuild', true]], tree, { specs: ['esbuild'] })
    expect(plan.next).toEqual([['esbuild@0.25.12', true]])
    expect(plan.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['approved esbuild@0.25.12', 'removed esbuild'])
  })

  it('drops a pin whose version is no longer installed, keeps pins of installed versions even when narrowed', () => {
    const plan = approve([['sharp@0.32.0', true], ['sharp@0.33.5', true]], tree, { specs: ['sharp@0.34.1'] })
    expect(plan.next).toEqual([['sharp@0.33.5', true], ['sharp@0.34.1', true]])
    expect(plan.changes).toContainEqual({ action: 'removed', key: 'sharp@0.32.0', value: true, reason: 'stale' })
    const narrowedName = approve([['sharp', true]], tree, { specs: ['sharp@0.34.1'] })
    expect(narrowedName.next).toEqual([['sharp', true], ['sharp@0.34.1', true]])
  })

  it('--all approves packages with scripts and no entry, not those already decided', () => {
    const plan = approve([['sharp@0.34.1', true]], tree, { all: true })
    expect(plan.next).toEqual([['sharp@0.34.1', true], ['esbuild@0.25.12', true], ['sharp@0.33.5', true]])
  })

  it('lets an existing deny win, with npm\'s warning, and changes nothing', () => {
    const byName = approve([['sharp', false]], tree, { specs: ['sharp'] })
    expect(byName.changes).toEqual([])
    expect(byName.warnings).toEqual(['sharp is denied; remove the entry from allowScripts to approve sharp'])
    const versioned = approve([['sharp@0.1.0', false]], tree, { specs: ['sharp'] })
    expect(versioned.next).toEqual([['sharp@0.1.0', false]])
    expect(versioned.warnings[0]).toMatch(/sharp@0.1.0 is a versioned deny; run `safe-install policy deny sharp`/)
  })

  it('approves by name, with a warning, when the lockfile gives no version to trust', () => {
    const plan = approve([['esbuild@0.1.0', true]], [registry('esbuild', '0.25.12', { versionedKey: null })], { specs: ['esbuild'] })
    expect(plan.next).toEqual([['esbuild', true]])
    expect(plan.warnings[0]).toMatch(/approved by name \(all versions\)/)
  })

  it('refuses a name nothing installed matches (exit 2), and skips bundled-like packages without identity', () => {
    expect(() => approve([], tree, { specs: ['nope', 'esbuild'] })).toThrow(/no installed package matches "nope"/)
    expect(() => approve([], tree, { specs: ['esbuild@1.0.0'] })).toThrow(/no installed package matches "esbuild@1.0.0"/)
    const plan = approve([], [registry('x', '1.0.0', { nameKey: null })], { specs: ['x'] })
    expect(plan.changes).toEqual([])
    expect(plan.warnings[0]).toMatch(/no trusted identity/)
  })
})

describe('planApproval (npm 11 install-scripts deny)', () => {
  it('writes the name-only deny and drops the package\'s other entries', () => {
    const entries: AllowEntries = [['sharp@0.34.1', true], ['esbuild', true], ['sharp@0.1.0', false]]
    const plan = planApproval(entries, related(entries, tree), { verb: 'deny', specs: ['sharp@0.34.1'], all: false, pin: true })
    expect(plan.next).toEqual([['esbuild', true], ['sharp', false]])
    expect(plan.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['removed sharp@0.34.1', 'removed sharp@0.1.0', 'denied sharp'])
  })

  it('turns an approval by name into a denial in place', () => {
    const entries: AllowEntries = [['esbuild', true], ['z', true]]
    expect(planApproval(entries, related(entries, tree), { verb: 'deny', specs: ['esbuild'], all: false, pin: true }).next).toEqual([['esbuild', false], ['z', true]])
  })
})

describe('planPrune (npm 11 install-scripts prune)', () => {
  it('removes entries matching nothing installed or only packages without scripts, keeps the rest', () => {
    const entries: AllowEntries = [['esbuild@0.25.12', true], ['esbuild@0.24.0', true], ['left-pad', true], ['gone', false], ['sharp', false], ['Not A Name', true]]
    const plan = planPrune(entries, related(entries, tree))
    expect(plan.next).toEqual([['esbuild@0.25.12', true], ['sharp', false], ['Not A Name', true]])
    expect(plan.changes).toEqual([
      { action: 'removed', key: 'esbuild@0.24.0', value: true, reason: 'not-installed' },
      { action: 'removed', key: 'left-pad', value: true, reason: 'no-scripts' },
      { action: 'removed', key: 'gone', value: false, reason: 'not-installed' },
    ])
  })
})

describe('allowScripts keys', () => {
  it('classifies keys as npm-package-arg does', () => {
    expect(parseAllowKey('@scope/x@1.0.0')).toEqual({ kind: 'registry', name: '@scope/x', spec: '1.0.0' })
    expect(parseAllowKey('github:o/r#abc').kind).toBe('git')
    expect(parseAllowKey('o/r').kind).toBe('git')
    expect(parseAllowKey('file:../x').kind).toBe('path')
    expect(parseAllowKey('https://h/x.tgz').kind).toBe('remote')
    expect(parseAllowKey('x@npm:y@1').kind).toBe('alias')
    expect([isSingleVersionPin('x@1.0.0'), isSingleVersionPin('x@1.0.0 || 1.1.0'), isSingleVersionPin('x')]).toEqual([true, false, false])
    expect([isNameOnlyKey('x'), isNameOnlyKey('x@*'), isNameOnlyKey('x@latest'), isNameOnlyKey('x@1.0.0')]).toEqual([true, true, true, false])
  })
})

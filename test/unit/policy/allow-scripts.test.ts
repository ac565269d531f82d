import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readAllowScripts, validateAllowScripts } from '../../../src/policy/allow-scripts.js'
import { decideScript } from '../../../src/policy/decide.js'
import type { PackageRecord } from '../../../src/types.js'

describe('validateAllowScripts', () => {
  it('keeps names, exact versions and non-registry specs; drops ranges and tags like npm', () => {
    const { entries, ignored } = validateAllowScripts({
      esbuild: true, 'sharp@0.34.1': true, 'bcrypt@5.1.1 || 6.0.0': true, '@scope/x': false,
      'lodash@^4': true, 'foo@latest': true, 'git+ssh://git@host/o/r.git#abc123': true, 'file:../x.tgz': true,
    }, 'package.json')
    expect(Object.keys(entries).sort()).toEqual(['@scope/x', 'bcrypt@5.1.1 || 6.0.0', 'esbuild', 'file:../x.tgz', 'git+ssh://git@host/o/r.git#abc123', 'sharp@0.34.1'])
    expect(ignored.map((i) => i.key).sort()).toEqual(['foo@latest', 'lodash@^4'])
  })
  it('rejects non-boolean values with a message naming the entry', () => {
    expect(() => validateAllowScripts({ esbuild: 'yes' }, '/p/package.json')).toThrow(/allowScripts\["esbuild"\] must be true or false/)
    expect(() => validateAllowScripts(['esbuild'], '/p/package.json')).toThrow(/must be an object/)
  })
})

describe('readAllowScripts', () => {
  it('reads a package.json that starts with a BOM, as npm does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'si-allow-'))
    try {
      await writeFile(join(dir, 'package.json'), '\uFEFF{"allowScripts": {"esbuild": true}}\n')
      expect((await readAllowScripts(dir, [])).entries).toEqual({ esbuild: true })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

const pkg = (over: Partial<PackageRecord>): PackageRecord => ({
  name: 'x', version: '1.0.0', location: 'node_modules/x', path: '/p/node_modules/x', resolved: null, source: 'registry',
  isRoot: false, inBundle: false, optional: false, dev: false, approval: 'unreviewed', approvedBy: null, ...over,
})

describe('decideScript', () => {
  it('runs the project and approved packages, never denied or bundled ones', () => {
    expect(decideScript(pkg({ isRoot: true, source: 'root' }), 'skip').kind).toBe('run')
    expect(decideScript(pkg({ approval: 'approved', approvedBy: 'x' }), 'skip').kind).toBe('run')
    expect(decideScript(pkg({ approval: 'denied' }), 'sandbox').kind).toBe('refuse')
    expect(decideScript(pkg({ approval: 'approved', inBundle: true }), 'sandbox').kind).toBe('refuse')
  })
  it('follows --unreviewed for unreviewed packages', () => {
    expect(decideScript(pkg({}), 'skip').kind).toBe('skip')
    expect(decideScript(pkg({}), 'sandbox').kind).toBe('run')
    expect(decideScript(pkg({}), 'fail').kind).toBe('refuse')
  })
})

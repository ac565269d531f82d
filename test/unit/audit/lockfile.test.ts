import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { detectLockfile, findLockfiles, LockfileError, parseLockfile, type LockEntry, type Lockfile } from '../../../src/audit/lockfile/index.js'

const FIXTURES = fileURLToPath(new URL('../../fixtures/lockfiles/', import.meta.url))

/** Parse a fixture; the file name passed on is the fixture path, as a user would give it. */
const load = (path: string): Promise<Lockfile> => parseLockfile(join(FIXTURES, path), readFileSync(join(FIXTURES, path), 'utf8'))

const entry = (lock: Lockfile, key: string): LockEntry => {
  const found = lock.entries.filter((candidate) => candidate.key === key)
  expect(found, `one entry keyed ${key}`).toHaveLength(1)
  return found[0] as LockEntry
}

/** The LockfileError a parse rejects with (a test fails when it resolves or throws anything else). */
const failure = async (file: string, text: string): Promise<LockfileError> => {
  const error: unknown = await parseLockfile(file, text).then(() => undefined, (thrown: unknown) => thrown)
  expect(error).toBeInstanceOf(LockfileError)
  return error as LockfileError
}

const failureOf = (path: string): Promise<LockfileError> => failure(join(FIXTURES, path), readFileSync(join(FIXTURES, path), 'utf8'))

describe('package-lock.json v3 with workspaces', () => {
  it('reads the root and the workspace folders into workspaces, with their lines', async () => {
    const lock = await load('npm/v3-workspaces/package-lock.json')
    expect(lock).toMatchObject({ format: 'npm', formatVersion: '3' })
    expect(lock.workspaces).toEqual([
      { path: '.', name: 'acme-app', version: '1.0.0', line: 7, column: 5, hasInstallScript: true },
      { path: 'packages/utils', name: '@acme/utils', version: '0.2.0', line: 161, column: 5, hasInstallScript: false },
      { path: 'packages/web', name: '@acme/web', version: '0.1.0', line: 173, column: 5, hasInstallScript: true },
    ])
    expect(lock.entries.map((e) => e.key)).not.toContain('packages/utils')
    expect(lock.entries).toHaveLength(19)
  })

  it('locates each entry at its key and keeps install scripts, integrity and flags', async () => {
    const lock = await load('npm/v3-workspaces/package-lock.json')
    expect(entry(lock, 'node_modules/esbuild')).toMatchObject({
      name: 'esbuild', version: '0.19.12', line: 82, column: 5, location: 'node_modules/esbuild', source: 'registry',
      hasInstallScript: true, resolvedName: 'esbuild', resolvedVersion: '0.19.12', dev: false, optional: false,
    })
    expect(entry(lock, 'node_modules/esbuild').integrity).toMatch(/^sha512-/)
    expect(entry(lock, 'node_modules/lodash').hasInstallScript).toBe(false)
    expect(entry(lock, 'node_modules/@types/node')).toMatchObject({ name: '@types/node', dev: true, resolvedName: '@types/node', line: 57 })
    expect(entry(lock, 'node_modules/fsevents')).toMatchObject({ dev: true, optional: true, hasInstallScript: true })
    expect(entry(lock, 'node_modules/typescript')).toMatchObject({ dev: true, optional: true })
    expect(entry(lock, 'node_modules/bundler-parent/node_modules/bundled-child')).toMatchObject({ name: 'bundled-child', inBundle: true })
    expect(entry(lock, 'packages/utils/node_modules/lodash')).toMatchObject({ name: 'lodash', version: '4.17.20', location: 'packages/utils/node_modules/lodash' })
  })

  it('takes a registry package without `resolved` from its key and version', async () => {
    const leftPad = entry(await load('npm/v3-workspaces/package-lock.json'), 'node_modules/left-pad')
    expect(leftPad).toMatchObject({ name: 'left-pad', version: '1.3.0', source: 'registry', line: 116 })
    expect(leftPad.resolved).toBeUndefined()
    expect(leftPad.integrity).toMatch(/^sha512-/)
  })

  it('keeps both names of an alias and classifies git, remote, file, link and workspace sources', async () => {
    const lock = await load('npm/v3-workspaces/package-lock.json')
    expect(entry(lock, 'node_modules/my-lodash')).toMatchObject({ name: 'my-lodash', realName: 'lodash', version: '4.17.20', resolvedName: 'lodash' })
    expect(entry(lock, 'node_modules/from-git')).toMatchObject({ source: 'git', resolved: expect.stringMatching(/^git\+ssh:\/\//) as unknown })
    expect(entry(lock, 'node_modules/remote-thing')).toMatchObject({ source: 'remote-tarball' })
    expect(entry(lock, 'node_modules/remote-thing').resolvedName).toBeUndefined()
    expect(entry(lock, 'node_modules/local-tgz')).toMatchObject({ source: 'file', resolved: 'file:vendor/local-tgz-0.1.0.tgz' })
    expect(entry(lock, 'node_modules/@acme/utils')).toMatchObject({ source: 'workspace', resolved: 'packages/utils', version: '0.2.0', line: 34 })
    expect(entry(lock, 'node_modules/shared-config')).toMatchObject({ source: 'link', resolved: '../shared-config', version: '0.3.0' })
    expect(entry(lock, '../shared-config')).toMatchObject({ name: 'shared-config', source: 'link', hasInstallScript: true, line: 29, location: '../shared-config' })
  })
})

describe('package-lock.json v2, v1 and npm-shrinkwrap.json', () => {
  it('v2: reads `packages` and ignores the v1 `dependencies` copy', async () => {
    const lock = await load('npm/v2/package-lock.json')
    expect(lock.formatVersion).toBe('2')
    expect(lock.entries.map((e) => [e.location, e.version, e.line])).toEqual([
      ['node_modules/debug', '4.3.4', 15], ['node_modules/debug/node_modules/ms', '2.1.2', 23], ['node_modules/ms', '2.1.3', 28],
    ])
  })

  it('v1: walks nested dependencies into install locations', async () => {
    const lock = await load('npm/v1/package-lock.json')
    expect(lock).toMatchObject({ formatVersion: '1', workspaces: [{ path: '.', name: 'legacy-app', version: '2.0.0', line: 2 }] })
    expect(entry(lock, 'supports-color')).toMatchObject({
      location: 'node_modules/@scope/tool/node_modules/chalk/node_modules/supports-color', line: 22, dev: true, source: 'registry',
    })
    expect(lock.entries.filter((e) => e.name === 'chalk').map((e) => [e.location, e.version, e.integrity?.slice(0, 5)])).toEqual([
      ['node_modules/@scope/tool/node_modules/chalk', '2.4.2', 'sha1-'], ['node_modules/chalk', '4.1.2', 'sha51'],
    ])
    expect(entry(lock, '@scope/tool').hasInstallScript).toBeUndefined()
  })

  it('v1: reads aliases, git, tarball and file specs out of `version`', async () => {
    const lock = await load('npm/v1/package-lock.json')
    expect(entry(lock, 'aliased')).toMatchObject({ name: 'aliased', realName: 'real-pkg', version: '1.2.3', resolvedName: 'real-pkg', line: 32 })
    expect(entry(lock, 'from-git')).toMatchObject({ version: undefined, source: 'git', resolved: expect.stringMatching(/^git\+https:.*#89abcdef/) as unknown })
    expect(entry(lock, 'remote-thing')).toMatchObject({ version: undefined, source: 'remote-tarball', resolved: 'https://downloads.example.test/remote-thing-1.0.0.tgz' })
    expect(entry(lock, 'linked-dir')).toMatchObject({ source: 'link', resolved: 'file:libs/linked-dir' })
    expect(entry(lock, 'bundled-child')).toMatchObject({ inBundle: true, location: 'node_modules/bundler-parent/node_modules/bundled-child' })
    expect(entry(lock, 'optional-thing').optional).toBe(true)
  })

  it('npm-shrinkwrap.json is an npm lockfile', async () => {
    const lock = await load('npm/shrinkwrap/npm-shrinkwrap.json')
    expect(lock).toMatchObject({ format: 'npm', formatVersion: '3', entries: [{ name: 'semver', line: 17, source: 'registry' }] })
  })
})

describe('yarn.lock (yarn 1)', () => {
  it('reads descriptors, lines and sources', async () => {
    const lock = await load('yarn-classic/basic/yarn.lock')
    expect(lock).toMatchObject({ format: 'yarn-classic', formatVersion: '1', workspaces: [] })
    expect(lock.entries.map((e) => [e.name, e.line, e.source])).toEqual([
      ['@babel/code-frame', 5, 'registry'], ['@babel/highlight', 13, 'registry'], ['chalk', 18, 'registry'], ['esbuild', 22, 'registry'],
      ['from-git', 29, 'git'], ['from-ssh', 33, 'git'], ['left-pad', 37, 'registry'], ['local-dir', 40, 'file'],
      ['my-lodash', 43, 'registry'], ['remote-thing', 48, 'remote-tarball'],
    ])
    expect(lock.entries[0]).toMatchObject({ key: '@babel/code-frame@^7.0.0, @babel/code-frame@^7.22.13', version: '7.23.5', column: 1 })
    expect(lock.entries.every((e) => e.hasInstallScript === undefined)).toBe(true)
  })

  it('prefers `integrity`, else turns the sha1 in the URL fragment into SRI', async () => {
    const lock = await load('yarn-classic/basic/yarn.lock')
    expect(entry(lock, 'esbuild@^0.19.12').integrity).toMatch(/^sha512-/)
    expect(entry(lock, 'chalk@^2.4.2').integrity).toBe('sha1-hmkKTueueJXLy66xrl5RKrxxu44=')
    expect(entry(lock, 'remote-thing@https://downloads.example.test/remote-thing-1.0.0.tgz').integrity).toMatch(/^sha1-/)
    expect(entry(lock, 'from-git@acme/from-git#v2').integrity).toBeUndefined()
    expect(entry(lock, 'left-pad@^1.3.0')).toMatchObject({ version: '1.3.0', source: 'registry' })
    expect(entry(lock, 'left-pad@^1.3.0').resolved).toBeUndefined()
  })

  it('keeps both names of an alias', async () => {
    expect(entry(await load('yarn-classic/basic/yarn.lock'), 'my-lodash@npm:lodash@4.17.20'))
      .toMatchObject({ name: 'my-lodash', realName: 'lodash', resolvedName: 'lodash', resolvedVersion: '4.17.20' })
  })
})

describe('yarn.lock (berry)', () => {
  it('puts workspace entries in workspaces and keeps checksum, conditions and resolution', async () => {
    const lock = await load('yarn-berry/workspaces/yarn.lock')
    expect(lock).toMatchObject({ format: 'yarn-berry', formatVersion: '8' })
    expect(lock.workspaces).toEqual([
      { path: 'packages/utils', name: '@acme/utils', version: '0.0.0-use.local', line: 8, column: 1 },
      { path: '.', name: 'acme-app', version: '0.0.0-use.local', line: 31, column: 1 },
    ])
    expect(entry(lock, 'lodash@npm:^4.17.21')).toMatchObject({
      name: 'lodash', version: '4.17.21', line: 77, resolved: 'lodash@npm:4.17.21', source: 'registry', checksum: expect.stringMatching(/^10c0\/[0-9a-f]{128}$/) as unknown,
    })
    expect(entry(lock, 'lodash@npm:^4.17.21').integrity).toBeUndefined()
    expect(entry(lock, '@esbuild/darwin-arm64@npm:0.19.12')).toMatchObject({ conditions: 'os=darwin & cpu=arm64', line: 16 })
    expect(entry(lock, '@esbuild/darwin-arm64@npm:0.19.12').checksum).toBeUndefined()
    expect(lock.entries.every((e) => e.hasInstallScript === undefined)).toBe(true)
  })

  it('reads aliases, patches, git, links, files and tarballs from the locator', async () => {
    const lock = await load('yarn-berry/workspaces/yarn.lock')
    expect(entry(lock, 'my-lodash@npm:lodash@4.17.20')).toMatchObject({ name: 'my-lodash', realName: 'lodash', resolvedName: 'lodash', resolvedVersion: '4.17.20' })
    expect(entry(lock, 'resolve@patch:resolve@npm%3A^1.22.8#optional!builtin<compat/resolve>'))
      .toMatchObject({ source: 'registry', resolvedName: 'resolve', resolvedVersion: '1.22.8', line: 105 })
    expect(entry(lock, 'from-git@https://github.com/acme/from-git.git#v2')).toMatchObject({ source: 'git' })
    expect(lock.entries.find((e) => e.name === 'local-link')).toMatchObject({ source: 'link', line: 71 })
    expect(lock.entries.find((e) => e.name === 'tarball-file')).toMatchObject({ source: 'file' })
    expect(lock.entries.find((e) => e.name === 'remote-thing')).toMatchObject({ source: 'remote-tarball' })
  })
})

describe('pnpm-lock.yaml', () => {
  it('v6: requiresBuild and prepare as install scripts, dev flags, peers stripped from versions', async () => {
    const lock = await load('pnpm/v6-workspaces/pnpm-lock.yaml')
    expect(lock).toMatchObject({ format: 'pnpm', formatVersion: '6.0' })
    expect(lock.workspaces).toEqual([{ path: '.', line: 9, column: 3 }, { path: 'packages/utils', line: 25, column: 3 }])
    expect(entry(lock, '/esbuild@0.19.12')).toMatchObject({ name: 'esbuild', version: '0.19.12', line: 42, column: 3, hasInstallScript: true, dev: false, source: 'registry' })
    expect(entry(lock, '/esbuild@0.19.12').integrity).toMatch(/^sha512-/)
    expect(entry(lock, '/@esbuild/linux-x64@0.19.12')).toMatchObject({ name: '@esbuild/linux-x64', optional: true })
    expect(entry(lock, '/react-dom@18.2.0(react@18.2.0)')).toMatchObject({ name: 'react-dom', version: '18.2.0', hasInstallScript: false })
    expect(entry(lock, '/typescript@5.3.3').dev).toBe(true)
  })

  it('v6: names non-registry keys from the entry, keeps tarballs without integrity', async () => {
    const lock = await load('pnpm/v6-workspaces/pnpm-lock.yaml')
    expect(entry(lock, 'github.com/acme/from-git/0123456789abcdef0123456789abcdef01234567'))
      .toMatchObject({ name: 'from-git', version: '2.0.0', source: 'git', hasInstallScript: true, line: 84 })
    expect(entry(lock, 'registry.example.test/private-pkg@1.0.0'))
      .toMatchObject({ name: 'private-pkg', source: 'registry', resolvedName: 'private-pkg', resolvedVersion: '1.0.0' })
    expect(entry(lock, 'file:vendor/local-tgz-0.1.0.tgz')).toMatchObject({ name: 'local-tgz', source: 'file' })
    const remote = entry(lock, '@downloads.example.test/remote-thing-1.0.0.tgz')
    expect(remote).toMatchObject({ name: 'remote-thing', source: 'remote-tarball', resolved: 'https://downloads.example.test/remote-thing-1.0.0.tgz' })
    expect(remote.integrity).toBeUndefined()
  })

  it('v6/v9: importer `link:` dependencies are entries; a link to an importer is a workspace', async () => {
    const v6 = await load('pnpm/v6-workspaces/pnpm-lock.yaml')
    expect(entry(v6, '@acme/utils')).toMatchObject({ source: 'workspace', resolved: 'link:packages/utils', location: 'node_modules/@acme/utils', line: 11, column: 7 })
    expect(entry(v6, 'shared-config')).toMatchObject({ source: 'link', resolved: 'link:../shared-config' })
    const v9 = await load('pnpm/v9-workspaces/pnpm-lock.yaml')
    expect(entry(v9, 'outside')).toMatchObject({ source: 'link', resolved: 'link:../../outside', dev: true, line: 30 })
  })

  it('v9: packages with snapshots, no install-script facts, every source kind', async () => {
    const lock = await load('pnpm/v9-workspaces/pnpm-lock.yaml')
    expect(lock.formatVersion).toBe('9.0')
    expect(entry(lock, '@esbuild/linux-x64@0.19.12')).toMatchObject({ name: '@esbuild/linux-x64', version: '0.19.12', line: 45, optional: true })
    expect(entry(lock, 'esbuild@0.19.12')).toMatchObject({ optional: false, line: 51 })
    expect(lock.entries.every((e) => e.hasInstallScript === undefined)).toBe(true)
    expect(entry(lock, 'from-git@https://codeload.github.com/acme/from-git/tar.gz/0123456789abcdef0123456789abcdef01234567'))
      .toMatchObject({ name: 'from-git', version: '2.0.0', source: 'git' })
    expect(entry(lock, 'local-tgz@file:vendor/local-tgz-0.1.0.tgz')).toMatchObject({ source: 'file', version: '0.1.0' })
    expect(entry(lock, 'vendored-dir@file:vendor/vendored-dir')).toMatchObject({ source: 'file', resolved: 'vendor/vendored-dir' })
    expect(entry(lock, 'remote-thing@https://downloads.example.test/remote-thing-1.0.0.tgz').integrity).toBeUndefined()
    expect(entry(lock, 'lodash@4.17.20')).toMatchObject({ name: 'lodash', source: 'registry' })
  })

  it('reads every document of a two-document lockfile (the env document first)', async () => {
    const lock = await load('pnpm/v9-env/pnpm-lock.yaml')
    expect(lock.entries.map((e) => [e.name, e.line])).toEqual([['pnpm', 15], ['ms', 41]])
    expect(lock.workspaces).toEqual([{ path: '.', line: 33, column: 3 }])
  })
})

describe('bun.lock', () => {
  it('reads JSONC with trailing commas, workspaces and every tuple shape', async () => {
    const lock = await load('bun/workspaces/bun.lock')
    expect(lock).toMatchObject({ format: 'bun', formatVersion: '1' })
    expect(lock.workspaces).toEqual([
      { path: '.', name: 'acme-app', line: 4, column: 5 },
      { path: 'packages/utils', name: '@acme/utils', version: '0.2.0', line: 19, column: 5 },
    ])
    expect(lock.entries.map((e) => [e.key, e.source, e.line])).toEqual([
      ['@acme/utils', 'workspace', 31], ['@esbuild/linux-x64', 'registry', 33], ['esbuild', 'registry', 35], ['from-git', 'git', 37],
      ['linked', 'link', 39], ['local-dir', 'file', 41], ['lodash', 'registry', 43], ['my-lodash', 'registry', 45],
      ['remote-thing', 'remote-tarball', 47], ['typescript', 'registry', 49], ['@acme/utils/lodash', 'registry', 51],
    ])
  })

  it('keeps integrity, registry URL, aliases and nested install paths', async () => {
    const lock = await load('bun/workspaces/bun.lock')
    expect(entry(lock, 'esbuild')).toMatchObject({ version: '0.19.12', integrity: expect.stringMatching(/^sha512-/) as unknown })
    expect(entry(lock, 'esbuild').resolved).toBeUndefined()
    expect(entry(lock, 'my-lodash')).toMatchObject({
      name: 'my-lodash', realName: 'lodash', version: '4.17.20', resolved: 'https://registry.example.test/lodash/-/lodash-4.17.20.tgz', resolvedName: 'lodash',
    })
    expect(entry(lock, '@acme/utils/lodash')).toMatchObject({ name: 'lodash', version: '4.17.20', location: '@acme/utils/lodash' })
    expect(entry(lock, '@acme/utils')).toMatchObject({ version: '0.2.0', resolved: 'workspace:packages/utils' })
    expect(entry(lock, 'from-git')).toMatchObject({ resolved: 'github:acme/from-git#0123456' })
    expect(entry(lock, 'from-git').integrity).toBeUndefined()
  })
})

describe('other layouts', () => {
  it('pnpm v5: `/name/version_peers` keys, top-level dependencies as the root importer', async () => {
    const lock = await parseLockfile('pnpm-lock.yaml', [
      'lockfileVersion: 5.4', '', 'specifiers:', '  a: ^1.0.0', '  b: link:../b', '', 'dependencies:', '  a: 1.0.0', '  b: link:../b', '', 'packages:', '',
      '  /a/1.0.0:', '    resolution: {integrity: sha512-A}', '    requiresBuild: true', '    dev: false', '',
      '  /@s/c/2.0.0_a@1.0.0:', '    resolution: {integrity: sha512-C}', '    dev: true', '',
    ].join('\n'))
    expect(lock.formatVersion).toBe('5.4')
    expect(lock.entries.map((e) => [e.name, e.version, e.line, e.hasInstallScript, e.dev, e.source])).toEqual([
      ['a', '1.0.0', 13, true, false, 'registry'], ['@s/c', '2.0.0', 18, false, true, 'registry'], ['b', undefined, 9, undefined, false, 'link'],
    ])
  })

  it('bun.lock: comments and trailing commas keep their lines', async () => {
    const lock = await parseLockfile('bun.lock', [
      '{', '  // written by hand', '  "lockfileVersion": 1,', '  /* a block', '     comment */', '  "workspaces": { "": { "name": "x", }, },',
      '  "packages": {', '    "a": ["a@1.0.0", "", {}, "sha512-A"], // trailing', '  },', '}',
    ].join('\n'))
    expect(lock.entries).toMatchObject([{ name: 'a', line: 8, column: 5, integrity: 'sha512-A' }])
    expect(lock.workspaces).toMatchObject([{ path: '.', name: 'x', line: 6 }])
  })

  it('a lockfile under another name is recognised by its content', async () => {
    const npm = await load('npm/v2/package-lock.json')
    const renamed = await parseLockfile('audit/old.json', readFileSync(join(FIXTURES, 'npm/v2/package-lock.json'), 'utf8'))
    expect(renamed.entries).toEqual(npm.entries)
    expect((await parseLockfile('x.lock', readFileSync(join(FIXTURES, 'yarn-classic/basic/yarn.lock'), 'utf8'))).format).toBe('yarn-classic')
    expect((await parseLockfile('x.lock', readFileSync(join(FIXTURES, 'yarn-berry/workspaces/yarn.lock'), 'utf8'))).format).toBe('yarn-berry')
    expect((await parseLockfile('x.yaml', readFileSync(join(FIXTURES, 'pnpm/v9-env/pnpm-lock.yaml'), 'utf8'))).format).toBe('pnpm')
    expect((await parseLockfile('x.jsonc', readFileSync(join(FIXTURES, 'bun/workspaces/bun.lock'), 'utf8'))).format).toBe('bun')
  })
})

describe('malformed lockfiles fail with a located LockfileError', () => {
  it.each([
    ['npm-syntax/package-lock.json', 11, /not valid JSON: comma expected/],
    ['npm-wrong-type/package-lock.json', 12, /"hasInstallScript" must be true or false, not a string "yes"/],
    ['npm-duplicate-field/package-lock.json', 12, /duplicate key "resolved" .*first at line 11/],
    ['yarn-classic-syntax/yarn.lock', 11, /not a valid yarn\.lock/],
    ['yarn-classic-duplicate/yarn.lock', 13, /"a@\^1\.1\.0" is written twice \(first at line 5\)/],
    ['yarn-berry-syntax/yarn.lock', 9, /not a valid yarn\.lock/],
    ['yarn-berry-duplicate-field/yarn.lock', 9, /duplicate key "resolution" \(first at line 7\); yarn would silently use only the last one/],
    ['pnpm-syntax/pnpm-lock.yaml', 14, /not valid YAML/],
    ['pnpm-duplicate/pnpm-lock.yaml', 16, /duplicate key "a@1\.0\.0" \(first at line 13\)/],
    ['pnpm-wrong-type/pnpm-lock.yaml', 12, /`requiresBuild` of "\/a@1\.0\.0" must be true or false/],
    ['bun-syntax/bun.lock', 10, /not valid JSONC: comma expected/],
    ['bun-tuple/bun.lock', 10, /package "b" must be a list/],
  ])('%s: line %i', async (path, line, reason) => {
    const error = await failureOf(`malformed/${path}`)
    expect(error.line).toBe(line)
    expect(error.reason).toMatch(reason)
    expect(error.code).toBe('ELOCKFILE')
    expect(error.message).toMatch(new RegExp(`^${join(FIXTURES, 'malformed', path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: .+ — .+$`))
    expect(error.message).not.toMatch(/\n/)
  })

  it('a key repeated in `packages` gives both entries, marked, in file order', async () => {
    const lock = await load('malformed/npm-duplicate-entry/package-lock.json')
    expect(lock.entries.map((e) => [e.line, e.duplicate, e.resolved, e.hasInstallScript])).toEqual([
      [9, true, 'https://attacker.example.test/a-1.0.0.tgz', true],
      [14, true, 'https://registry.example.test/a/-/a-1.0.0.tgz', false],
    ])
  })

  it('npm: a repeated top-level key, an unknown lockfileVersion and a non-object entry', async () => {
    expect((await failure('package-lock.json', '{\n"packages": {},\n"packages": {}\n}')).line).toBe(3)
    expect((await failure('package-lock.json', '{\n  "lockfileVersion": 4,\n  "packages": {}\n}')).reason).toMatch(/lockfileVersion number 4 is not one/)
    expect((await failure('package-lock.json', '{"lockfileVersion": 3,\n"packages": {\n"node_modules/a": "1.0.0"}}')).line).toBe(3)
    expect((await failure('package-lock.json', '[]')).reason).toMatch(/must be a JSON object/)
  })

  it('npm and bun: a key repeated in any object but a map of entries is refused', async () => {
    const nested = await failure('package-lock.json', JSON.stringify({
      lockfileVersion: 3, packages: { 'node_modules/a': { version: '1.0.0', dependencies: { b: '^1.0.0', c: '^2.0.0' } } },
    }, null, 2).replace('"c"', '"b"'))
    expect(nested).toMatchObject({ line: 8, column: 9 })
    expect(nested.reason).toMatch(/^duplicate key "b" in "packages" > "node_modules\/a" > "dependencies" \(first at line 7\)/)
    const workspaces = await failure('bun.lock', '{\n  "lockfileVersion": 1,\n  "workspaces": {\n    "": {},\n    "": {},\n  },\n}')
    expect(workspaces).toMatchObject({ line: 5, reason: expect.stringMatching(/duplicate key "" in "workspaces"/) as unknown })
  })

  it('a key repeated in a v1 `dependencies` map or in bun `packages` gives both entries, marked', async () => {
    const v1 = await parseLockfile('package-lock.json', '{\n  "lockfileVersion": 1,\n  "dependencies": {\n    "a": { "version": "1.0.0" },\n    "a": { "version": "6.6.6" }\n  }\n}')
    expect(v1.entries.map((e) => [e.line, e.version, e.duplicate])).toEqual([[4, '1.0.0', true], [5, '6.6.6', true]])
    const bun = await parseLockfile('bun.lock', '{\n  "lockfileVersion": 1,\n  "packages": {\n    "a": ["a@1.0.0", "", {}, "sha512-A",],\n    "a": ["a@6.6.6", "", {}, "sha512-B"],\n  },\n}')
    expect(bun.entries.map((e) => [e.line, e.version, e.integrity, e.duplicate])).toEqual([[4, '1.0.0', 'sha512-A', true], [5, '6.6.6', 'sha512-B', true]])
  })

  it('pnpm: a key repeated in any map and unknown versions are refused', async () => {
    const duplicate = 'lockfileVersion: \'9.0\' # a comment\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-A}\n  a@1.0.0:\n    resolution: {integrity: sha512-B}\n'
    expect((await failure('pnpm-lock.yaml', duplicate)).line).toBe(5)
    const nested = await failure('pnpm-lock.yaml', 'lockfileVersion: \'9.0\'\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-A, integrity: sha512-B}\n')
    expect(nested).toMatchObject({ line: 4, column: 39, reason: expect.stringMatching(/duplicate key "integrity" \(first at line 4\); pnpm refuses/) as unknown })
    expect((await failure('pnpm-lock.yaml', 'lockfileVersion: \'7.0\'\n')).reason).toMatch(/lockfileVersion "7\.0"/)
    expect((await failure('pnpm-lock.yaml', 'lockfileVersion: \'9.0\'\npackages:\n  a@1.0.0:\n    cpu: [x64]\n')).reason).toMatch(/has no resolution/)
    expect((await failure('pnpm-lock.yaml', 'a: &x 1\nb: *x\nlockfileVersion: 9\n')).reason).toMatch(/aliases/)
  })

  it('yarn berry: an entry without resolution, a bad __metadata', async () => {
    expect((await failure('yarn.lock', '__metadata:\n  version: 8\n\n"a@npm:1.0.0":\n  version: 1.0.0\n')).line).toBe(4)
    expect((await failure('yarn.lock', '__metadata:\n  version: eight\n')).reason).toMatch(/__metadata\.version/)
  })

  it('bun: unknown lockfileVersion; bun.lockb and unknown files say what to do', async () => {
    expect((await failure('bun.lock', '{\n  "lockfileVersion": 9,\n}')).line).toBe(2)
    expect((await failure('bun.lockb', '\u0000\u0001binary')).fix).toMatch(/bun install --save-text-lockfile/)
    expect((await failure('deps.txt', 'hello')).reason).toMatch(/cannot tell which package manager/)
  })
})

describe('hostile input', () => {
  it('keeps prototype keys as data', async () => {
    const npm = await parseLockfile('package-lock.json', JSON.stringify({
      lockfileVersion: 3, packages: { 'node_modules/__proto__': { version: '1.0.0' }, 'node_modules/constructor': { version: '2.0.0', constructor: 'x' } },
    }, null, 2))
    expect(npm.entries.map((e) => [e.name, e.version])).toEqual([['__proto__', '1.0.0'], ['constructor', '2.0.0']])
    expect(({} as Record<string, unknown>)['version']).toBeUndefined()
    const yarn = await parseLockfile('yarn.lock', '# yarn lockfile v1\n\n__proto__@^1.0.0:\n  version "1.0.0"\n\nconstructor@^1.0.0:\n  version "1.0.0"\n')
    expect(yarn.entries.map((e) => e.name)).toEqual(['__proto__', 'constructor'])
    const pnpm = await parseLockfile('pnpm-lock.yaml', 'lockfileVersion: \'9.0\'\npackages:\n  __proto__@1.0.0:\n    resolution: {integrity: sha512-A}\n')
    expect(pnpm.entries.map((e) => e.name)).toEqual(['__proto__'])
  })

  it('keeps absolute paths and `..` in keys verbatim, with their lines', async () => {
    const lock = await parseLockfile('package-lock.json', JSON.stringify({
      lockfileVersion: 3, packages: { '': {}, 'node_modules/x': { resolved: '/etc/x', link: true }, '/etc/x': { version: '1.0.0' }, 'node_modules/../../evil': { version: '1.0.0' } },
    }, null, 2))
    expect(lock.entries.map((e) => [e.key, e.line, e.source])).toEqual([['node_modules/x', 5, 'link'], ['/etc/x', 9, 'link'], ['node_modules/../../evil', 12, 'registry']])
  })

  it('refuses deep nesting with a LockfileError, never a stack overflow', async () => {
    const deep = 100_000
    await failure('pnpm-lock.yaml', `lockfileVersion: '9.0'\npackages: ${'['.repeat(deep)}${']'.repeat(deep)}\n`)
    const chain = (depth: number): string => `{"lockfileVersion": 1, "dependencies": ${'{"a": {"version": "1.0.0", "dependencies": '.repeat(depth)}{}${'}}'.repeat(depth)}}`
    expect((await parseLockfile('package-lock.json', chain(400))).entries).toHaveLength(400)
    expect((await failure('package-lock.json', chain(600))).reason).toMatch(/nested more than 1000 levels/)
    expect((await failure('bun.lock', `{"lockfileVersion": 1, "packages": {"a": ${'['.repeat(deep)}${']'.repeat(deep)}}}`)).reason).toMatch(/nested more than/)
  })

  it('throws nothing but LockfileError on junk, whatever the name says', async () => {
    const junk = ['', ' ', 'null', '[]', '{}', '"x"', '{"packages": 5}', '{"packages": {"": 1}}', 'a: [', '{{{{', '\u0000\u0001', '# yarn lockfile v1\n"a', '- a\n- b\n', '__metadata: 5\n',
      '{"lockfileVersion": 1, "workspaces": [], "packages": {"a": [1]}}', 'lockfileVersion: 9\npackages: [1]\n', 'lockfileVersion: 6\nimporters: 3\n']
    for (const name of ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock']) {
      for (const text of junk) {
        const outcome: unknown = await parseLockfile(name, text).then(() => 'parsed', (thrown: unknown) => thrown)
        if (outcome !== 'parsed') expect(outcome, `${name}: ${JSON.stringify(text)}`).toBeInstanceOf(LockfileError)
      }
    }
  })
})

/** 3,500 packages in each format's own layout, each naming the next as a dependency. */
const LARGE = 3500
const pad = (count: number, fill: (i: number) => string[]): string[] => Array.from({ length: count }, (_, i) => fill(i)).flat()
const SRI = `sha512-${'A'.repeat(86)}==`
/** File name, text, and what the last entry must be (its line in the generated layout). */
const LARGE_LOCKFILES: ReadonlyArray<readonly [string, () => string, Partial<LockEntry>]> = [
  ['package-lock.json', () => JSON.stringify({
    name: 'big', version: '1.0.0', lockfileVersion: 3, requires: true,
    packages: Object.fromEntries([['', { name: 'big', version: '1.0.0' }], ...Array.from({ length: LARGE }, (_, i) => [`node_modules/pkg-${i}`, {
      version: `1.0.${i}`, resolved: `https://registry.example.test/pkg-${i}/-/pkg-${i}-1.0.${i}.tgz`, integrity: SRI,
      dependencies: { [`pkg-${i + 1}`]: '^1.0.0' }, dev: i % 3 === 0, engines: { node: '>=14' }, license: 'MIT',
    }])]),
  }, null, 2), { line: 11 + 3499 * 13, column: 5, dev: false, resolvedName: 'pkg-3499' }],
  ['pnpm-lock.yaml', () => [
    "lockfileVersion: '9.0'", '', 'settings:', '  autoInstallPeers: true', '', 'importers:', '', '  .:', '    dependencies:',
    ...pad(200, (i) => [`      pkg-${i}:`, `        specifier: ^1.0.${i}`, `        version: 1.0.${i}`]), '', 'packages:', '',
    ...pad(LARGE, (i) => [`  pkg-${i}@1.0.${i}:`, `    resolution: {integrity: ${SRI}}`, "    engines: {node: '>=14'}", '']), 'snapshots:', '',
    ...pad(LARGE, (i) => [`  pkg-${i}@1.0.${i}:`, '    dependencies:', `      pkg-${i + 1}: 1.0.${i + 1}`, ...(i % 7 === 6 ? ['    optional: true'] : []), '']),
  ].join('\n'), { line: 613 + 3499 * 4, column: 3, optional: true }],
  ['yarn.lock', () => [
    '# This file is generated by running "yarn install" inside your project.', '', '__metadata:', '  version: 8', '  cacheKey: 10c0', '',
    ...pad(LARGE, (i) => [`"pkg-${i}@npm:^1.0.0, pkg-${i}@npm:~1.0.${i}":`, `  version: 1.0.${i}`, `  resolution: "pkg-${i}@npm:1.0.${i}"`, '  dependencies:',
      `    pkg-${i + 1}: "npm:^1.0.0"`, `  checksum: 10c0/${'a'.repeat(128)}`, '  languageName: node', '  linkType: hard', '']),
  ].join('\n'), { line: 7 + 3499 * 9, column: 1, resolved: 'pkg-3499@npm:1.0.3499' }],
  ['yarn.lock', () => [
    '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.', '# yarn lockfile v1', '', '',
    ...pad(LARGE, (i) => [`pkg-${i}@^1.0.0, pkg-${i}@~1.0.${i}:`, `  version "1.0.${i}"`, `  resolved "https://registry.yarnpkg.com/pkg-${i}/-/pkg-${i}-1.0.${i}.tgz#${'0'.repeat(40)}"`,
      `  integrity ${SRI}`, '  dependencies:', `    pkg-${i + 1} "^1.0.0"`, '']),
  ].join('\n'), { line: 5 + 3499 * 7, column: 1, integrity: SRI }],
  ['bun.lock', () => [
    '{', '  "lockfileVersion": 1,', '  "workspaces": {', '    "": {', '      "name": "big",', '    },', '  },', '  "packages": {',
    ...pad(LARGE, (i) => [`    "pkg-${i}": ["pkg-${i}@1.0.${i}", "", { "dependencies": { "pkg-${i + 1}": "^1.0.0" } }, "${SRI}"],`, '']), '  },', '}',
  ].join('\n'), { line: 9 + 3499 * 2, column: 5, integrity: SRI }],
]

describe('3,500-entry lockfiles (time printed, not asserted)', () => {
  it.each(LARGE_LOCKFILES)('%s', async (name, generate, last) => {
    const text = generate()
    // Read a small file of the format first, so the time is the parse and not the loading of the modules.
    await parseLockfile(name, text.slice(0, 400)).catch(() => undefined)
    const started = performance.now()
    const lock = await parseLockfile(name, text)
    const elapsed = performance.now() - started
    console.log(`${LARGE} entries, ${lock.format} (${(text.length / 1e6).toFixed(2)} MB): parsed in ${elapsed.toFixed(0)} ms`)
    expect(lock.entries).toHaveLength(LARGE)
    expect(lock.entries[LARGE - 1]).toMatchObject({ name: `pkg-${LARGE - 1}`, version: `1.0.${LARGE - 1}`, ...last })
  })
})

const SOURCE = fileURLToPath(new URL('../../../src/audit/lockfile/', import.meta.url))

/** The packages a module loads: its runtime imports' and theirs (`import type` loads nothing). */
const packagesLoadedBy = (file: string): string[] => {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    for (const [, from = ''] of readFileSync(path, 'utf8').matchAll(/^import (?!type )[^'\n]* from '([^']+)'$/gm)) {
      if (from.startsWith('.')) visit(resolve(dirname(path), from.replace(/\.js$/, '.ts')))
      else if (!from.startsWith('node:')) packages.add(from)
    }
  }
  visit(join(SOURCE, file))
  return [...packages].sort()
}

describe('each format loads only its own parser', () => {
  it.each([
    ['index.ts', []], ['npm.ts', ['jsonc-parser']], ['bun.ts', ['jsonc-parser']], ['yarn-classic.ts', ['@yarnpkg/parsers']],
    ['yarn-berry.ts', ['@yarnpkg/parsers', 'yaml']], ['pnpm.ts', ['yaml']],
  ])('%s loads %j', (file, packages) => {
    expect(packagesLoadedBy(file)).toEqual(packages)
  })
})

describe('detectLockfile', () => {
  const dirs: string[] = []
  const project = (...names: string[]): string => {
    const dir = mkdtempSync(join(tmpdir(), 'si-lockfile-'))
    dirs.push(dir)
    for (const name of names) writeFileSync(join(dir, name), '')
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('prefers npm-shrinkwrap.json, then package-lock.json, yarn.lock, pnpm-lock.yaml, bun.lock', () => {
    const all = project('bun.lock', 'pnpm-lock.yaml', 'yarn.lock', 'package-lock.json', 'npm-shrinkwrap.json')
    expect(detectLockfile(all)).toBe(join(all, 'npm-shrinkwrap.json'))
    expect(findLockfiles(all).map((path) => path.slice(all.length + 1))).toEqual(['npm-shrinkwrap.json', 'package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock'])
    const some = project('bun.lock', 'pnpm-lock.yaml')
    expect(detectLockfile(some)).toBe(join(some, 'pnpm-lock.yaml'))
    expect(detectLockfile(project())).toBeUndefined()
    expect(detectLockfile(project('bun.lockb'))).toBe(join(dirs[dirs.length - 1] ?? '', 'bun.lockb'))
  })
})

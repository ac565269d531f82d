import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ArboristNode } from '@npmcli/arborist'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countBuildHooks, listBuildHooks } from '../../../src/resolve/build-hooks.js'

/** Just what Arborist's build and npm's enumeration read of a node. */
const node = (name: string, scripts: Record<string, string>, extra: Partial<Record<keyof ArboristNode, unknown>> = {}): ArboristNode => {
  const self: Record<string, unknown> = {
    name, packageName: name, version: '1.0.0', location: `node_modules/${name}`, path: `/nowhere/node_modules/${name}`,
    resolved: `http://127.0.0.1:4873/${name}/-/${name}-1.0.0.tgz`, isRegistryDependency: true, isLink: false, inBundle: false,
    hasInstallScript: Object.keys(scripts).length > 0, package: { name, version: '1.0.0', scripts }, children: new Map(),
    edgesIn: new Set(), linksIn: new Set(), ...extra,
  }
  self['target'] ??= self
  return self as unknown as ArboristNode
}

const count = (nodes: ArboristNode[], allowScripts: Record<string, boolean> | null = null, rebuildBundle = true): Promise<number> =>
  countBuildHooks(nodes, { allowScripts, rebuildBundle })

describe('countBuildHooks', () => {
  let gypDir: string
  beforeAll(async () => {
    gypDir = await mkdtemp(join(tmpdir(), 'si-build-hooks-'))
    await writeFile(join(gypDir, 'binding.gyp'), '{}')
  })
  afterAll(() => rm(gypDir, { recursive: true, force: true }))

  it('counts preinstall, install and postinstall of each dependency, not its prepare', async () => {
    expect(await count([
      node('a', { preinstall: 'x', postinstall: 'y', prepare: 'z', test: 't' }),
      node('b', { postinstall: 'y' }),
      node('c', {}),
    ])).toBe(3)
  })

  it("counts npm's implicit node-gyp rebuild of a package with binding.gyp", async () => {
    expect(await count([node('native', {}, { path: gypDir })])).toBe(1)
    expect(await count([node('native', { install: 'node build.js' }, { path: gypDir })])).toBe(1)
  })

  it("counts a link's prepare, and its target once", async () => {
    const target = node('ws', { prepare: 'tsc', postinstall: 'y' }, { isRegistryDependency: false, resolved: null })
    const link = node('ws', {}, { isLink: true, target })
    expect(await count([target, link])).toBe(2)
  })

  it('leaves out packages allowScripts denies (never queued) and keeps the unreviewed (refused later)', async () => {
    expect(await count([node('evil', { postinstall: 'x' }), node('other', { postinstall: 'x' })], { evil: false })).toBe(1)
  })

  it('walks bundled dependencies in, unless rebuild-bundle is off', async () => {
    const bundled = node('inner', { postinstall: 'x' }, { inBundle: true })
    const outer = node('outer', { postinstall: 'x' }, { children: new Map([['inner', bundled]]) })
    expect(await count([outer])).toBe(2)
    expect(await count([outer], null, false)).toBe(1)
  })
})

describe('listBuildHooks', () => {
  let gypDir: string
  beforeAll(async () => {
    gypDir = await mkdtemp(join(tmpdir(), 'si-build-hooks-'))
    await writeFile(join(gypDir, 'binding.gyp'), '{}')
  })
  afterAll(() => rm(gypDir, { recursive: true, force: true }))

  it('names each hook with its package (a link\'s target), event and command, in build order', async () => {
    const target = node('ws', { prepare: 'tsc' }, { isRegistryDependency: false, resolved: null })
    const link = node('ws', {}, { isLink: true, target })
    const hooks = await listBuildHooks([
      node('a', { postinstall: 'node post.js', preinstall: 'node pre.js', test: 't' }),
      node('native', {}, { path: gypDir }),
      node('evil', { postinstall: 'x' }),
      link,
    ], { allowScripts: { evil: false }, rebuildBundle: true })
    expect(hooks.map((h) => `${h.node.name} ${h.event} ${h.command}`)).toEqual([
      'a preinstall node pre.js', 'a postinstall node post.js', 'native install node-gyp rebuild', 'ws prepare tsc',
    ])
    expect(hooks[3]?.node).toBe(target)
  })
})

/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install policy approve|deny|prune|import` through bin/ against the test registry: the
 * package.json it writes is byte for byte what npm 11's own `npm install-scripts` writes, npm
 * itself honours the entries (`--strict-allow-scripts`), formatting survives, other tools'
 * decisions import, and malformed files stop with exit 2 naming the field.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { npmEnv, publishFixtures, writeNpmrc } from '../helpers/registry.js'
import { npm, safeInstall, type TestProject } from '../helpers/safe-install.js'

const suffix = randomBytes(3).toString('hex')
/** Published by this file: two versions of a package with a postinstall, and a parent pulling in the second. */
const PROBE = `si-policy-probe-${suffix}`
const PARENT = `si-policy-parent-${suffix}`
const MARK = 'node -e "require(\'fs\').writeFileSync(\'ran.txt\', \'y\')"'

describe('safe-install policy', () => {
  const open = inject('openRegistry')
  let root: string

  /** A project whose package.json is exactly `text` (after `npm install --ignore-scripts` with `deps`, when given). */
  const project = async (label: string, deps: Record<string, string>, text?: (json: string) => string): Promise<TestProject> => {
    const dir = path.join(root, label, 'project')
    const home = path.join(root, label, 'home')
    await mkdir(home, { recursive: true })
    await mkdir(dir, { recursive: true })
    await writeNpmrc(dir, open)
    const json = `${JSON.stringify({ name: label, version: '1.0.0', private: true, dependencies: deps }, null, 4)}\n`
    await writeFile(path.join(dir, 'package.json'), json)
    const p = { dir, home, env: npmEnv(home, { LANG: 'C.UTF-8' }) }
    if (Object.keys(deps).length > 0) {
      const r = await npm(p, ['install', '--ignore-scripts', '--no-audit', '--no-fund'])
      expect(r.code, r.stderr).toBe(0)
    }
    if (text !== undefined) await writeFile(path.join(dir, 'package.json'), text(json))
    return p
  }
  const copy = async (p: TestProject, label: string): Promise<TestProject> => {
    const dir = path.join(root, label, 'project')
    await cp(p.dir, dir, { recursive: true, verbatimSymlinks: true })
    return { ...p, dir }
  }
  const manifest = (p: TestProject): Promise<string> => readFile(path.join(p.dir, 'package.json'), 'utf8')
  const allowScripts = async (p: TestProject): Promise<unknown> => (JSON.parse(await manifest(p)) as { allowScripts?: unknown }).allowScripts
  const si = async (p: TestProject, args: string[], expectedCode = 0): Promise<string> => {
    const r = await safeInstall(p, ['policy', ...args])
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(expectedCode)
    return expectedCode === 0 ? r.stdout : r.stderr
  }
  const npmOk = async (p: TestProject, args: string[]): Promise<void> => {
    const r = await npm(p, args)
    expect(r.code, `npm ${args.join(' ')}\n${r.stderr}`).toBe(0)
  }

  beforeAll(async () => {
    root = await makeTempDir('si-policy-')
    const write = async (name: string, version: string, extra: Record<string, unknown> = {}): Promise<string> => {
      const dir = path.join(root, 'packages', `${name}-${version}`)
      await mkdir(dir, { recursive: true })
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version, license: 'MIT', scripts: { postinstall: MARK }, ...extra }))
      return dir
    }
    const dirs = [await write(PROBE, '1.0.0'), await write(PROBE, '1.1.0'), await write(PARENT, '1.0.0', { dependencies: { [PROBE]: '1.1.0' } })]
    await publishFixtures(open, dirs, { concurrency: 1 })
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  it('approve, deny and --all write what npm 11 writes, byte for byte, and npm runs exactly what they approve', async () => {
    const ours = await project('mirror', { 'benign-postinstall': '1.0.0', 'order-leaf': '1.0.0', [PROBE]: '1.0.0', [PARENT]: '1.0.0' })
    const theirs = await copy(ours, 'mirror-npm')

    const approved = await si(ours, ['approve', PROBE])
    expect(approved.split('\n').filter((line) => !/^pinned |^safe-install: recorded /.test(line)).sort())
      .toEqual(['', `approved ${PROBE}@1.0.0`, `approved ${PROBE}@1.1.0`, `safe-install: wrote 2 changes to ${path.join(ours.dir, 'package.json')}`].sort())
    // Each approved version's install code is pinned in safe-install.policy.json (the file npm does not read).
    expect(approved).toContain(`pinned ${PROBE}@1.0.0: its install code is sha256-`)
    expect(approved).toContain(`recorded 2 content pins in ${path.join(ours.dir, 'safe-install.policy.json')}`)
    expect(await si(ours, ['deny', 'order-leaf'])).toBe(`denied order-leaf\nsafe-install: wrote 1 change to ${path.join(ours.dir, 'package.json')}\n`)
    await si(ours, ['approve', '--all'])
    await npmOk(theirs, ['install-scripts', 'approve', PROBE])
    await npmOk(theirs, ['install-scripts', 'deny', 'order-leaf'])
    await npmOk(theirs, ['install-scripts', 'approve', '--all'])

    // Same bytes, but for the order of entries: npm writes several versions of one package (and
    // packages first approved together) in Arborist's inventory order, which follows filesystem
    // timing; ours is sorted by location. So lines are compared sorted, without the comma that
    // only says whether an entry came last.
    const lines = (text: string): string[] => text.split('\n').map((line) => line.replace(/,$/, '')).sort()
    expect(lines(await manifest(ours))).toEqual(lines(await manifest(theirs)))
    expect(JSON.parse(await manifest(ours))).toEqual(JSON.parse(await manifest(theirs)))
    expect(await allowScripts(ours)).toEqual({
      [`${PROBE}@1.0.0`]: true, [`${PROBE}@1.1.0`]: true, 'order-leaf': false, 'benign-postinstall@1.0.0': true, [`${PARENT}@1.0.0`]: true,
    })
    expect(await manifest(ours)).toMatch(/\n {4}"allowScripts": \{\n {8}"/)

    // npm itself: every package with scripts is reviewed (strict passes), the approved ones run, the denied one does not.
    await npmOk(ours, ['rebuild', '--strict-allow-scripts'])
    const nm = path.join(ours.dir, 'node_modules')
    expect(existsSync(path.join(nm, 'benign-postinstall', 'built.txt'))).toBe(true)
    expect(existsSync(path.join(nm, PROBE, 'ran.txt'))).toBe(true)
    expect(existsSync(path.join(nm, PARENT, 'node_modules', PROBE, 'ran.txt'))).toBe(true)
    expect(existsSync(path.join(nm, 'order-leaf', 'stamps.log'))).toBe(false)

    // Approving what is denied changes nothing and says why, as npm does.
    const r = await safeInstall(ours, ['policy', 'approve', 'order-leaf'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('safe-install: warning: order-leaf is denied; remove the entry from allowScripts to approve order-leaf\n')
  })

  it('--no-pin writes the bare name; pinning replaces it; prune removes what is no longer installed, as npm does', async () => {
    const ours = await project('prune', { 'benign-postinstall': '1.0.0', [PROBE]: '1.0.0', [PARENT]: '1.0.0' })
    expect(await si(ours, ['approve', PROBE, '--no-pin'])).toMatch(new RegExp(`^approved ${PROBE}\n`))
    expect(await allowScripts(ours)).toEqual({ [PROBE]: true })
    const pinned = await si(ours, ['approve', PROBE])
    expect(pinned).toContain(`removed ${PROBE} (replaced by the pinned entries)`)
    await si(ours, ['approve', PARENT, 'benign-postinstall'])
    await npmOk(ours, ['uninstall', PARENT, '--ignore-scripts', '--no-audit', '--no-fund'])

    const before = await manifest(ours)
    const dry = await si(ours, ['prune', '--dry-run'])
    expect(await manifest(ours)).toBe(before)
    expect(dry).toContain(`removed stale entry ${PROBE}@1.1.0 (package not installed)`)
    expect(dry).toContain(`removed stale entry ${PARENT}@1.0.0 (package not installed)`)
    expect(dry).toContain(`-        "${PARENT}@1.0.0": true,`)
    expect(dry).toMatch(/safe-install: --dry-run: 2 changes not written to .*package\.json\n$/)

    const theirs = await copy(ours, 'prune-npm')
    await si(ours, ['prune'])
    await npmOk(theirs, ['install-scripts', 'prune'])
    // Same bytes, but for the order of entries: npm writes several versions of one package (and
    // packages first approved together) in Arborist's inventory order, which follows filesystem
    // timing; ours is sorted by location. So lines are compared sorted, without the comma that
    // only says whether an entry came last.
    const lines = (text: string): string[] => text.split('\n').map((line) => line.replace(/,$/, '')).sort()
    expect(lines(await manifest(ours))).toEqual(lines(await manifest(theirs)))
    expect(JSON.parse(await manifest(ours))).toEqual(JSON.parse(await manifest(theirs)))
    expect(await allowScripts(ours)).toEqual({ [`${PROBE}@1.0.0`]: true, 'benign-postinstall@1.0.0': true })

    // A package that is not installed cannot be approved: exit 2, nothing written.
    expect(await si(ours, ['approve', PARENT], 2)).toMatch(new RegExp(`no installed package matches "${PARENT}"; nothing was changed`))
    const json = JSON.parse(await si(ours, ['deny', PROBE, '--json'])) as { changes: unknown[]; file: string; written: boolean }
    expect(json).toMatchObject({ file: path.join(ours.dir, 'package.json'), written: true })
    expect(json.changes).toEqual([
      { action: 'removed', key: `${PROBE}@1.0.0`, value: true, reason: 'superseded-by-deny' },
      { action: 'denied', key: PROBE, value: false },
    ])
  })

  it('keeps the file\'s formatting: tabs, CRLF, no final newline, allowScripts in the middle, inline arrays', async () => {
    const text = '{\r\n\t"name": "fmt",\r\n\t"files": ["a", "b"],\r\n\t"allowScripts": {\r\n\t\t"order-leaf": false\r\n\t},\r\n'
      + '\t"dependencies": {\r\n\t\t"benign-postinstall": "1.0.0",\r\n\t\t"order-leaf": "1.0.0"\r\n\t}\r\n}'
    const p = await project('fmt', { 'benign-postinstall': '1.0.0', 'order-leaf': '1.0.0' }, () => text)
    await si(p, ['approve', 'benign-postinstall'])
    expect(await manifest(p)).toBe(text.replace('"order-leaf": false\r\n', '"order-leaf": false,\r\n\t\t"benign-postinstall@1.0.0": true\r\n'))
    await npmOk(p, ['rebuild', '--strict-allow-scripts'])
    expect(existsSync(path.join(p.dir, 'node_modules', 'benign-postinstall', 'built.txt'))).toBe(true)
  })

  it('imports pnpm, Bun and LavaMoat decisions, reports what it cannot map, and npm honours the result', async () => {
    const p = await project('import', { 'benign-postinstall': '1.0.0', 'order-leaf': '1.0.0', [PROBE]: '1.0.0' }, (json) => {
      const pkg = JSON.parse(json) as Record<string, unknown>
      return `${JSON.stringify({ ...pkg, trustedDependencies: ['benign-postinstall'], lavamoat: { allowScripts: { 'x>order-leaf': false } } }, null, 2)}\n`
    })
    await writeFile(path.join(p.dir, 'pnpm-workspace.yaml'), `allowBuilds:\n  ${PROBE}: true\n  '@types/*': true\n`)
    const before = await manifest(p)
    const dry = JSON.parse(await si(p, ['import', '--dry-run', '--json'])) as {
      changes: Array<{ key: string; from: string }>; unmapped: Array<{ from: string; reason: string }>; imported: string[]; written: boolean; diff: string
    }
    expect(await manifest(p)).toBe(before)
    expect(dry.written).toBe(false)
    expect(dry.imported).toEqual(['pnpm', 'bun', 'lavamoat'])
    expect(dry.changes.map((c) => `${c.key} <- ${c.from}`)).toEqual([
      `${PROBE}@1.0.0 <- pnpm-workspace.yaml allowBuilds["${PROBE}"]`,
      'benign-postinstall@1.0.0 <- package.json trustedDependencies[0]',
      'order-leaf <- package.json lavamoat.allowScripts["x>order-leaf"]',
    ])
    expect(dry.unmapped).toEqual([{ tool: 'pnpm', from: 'pnpm-workspace.yaml allowBuilds["@types/*"] "@types/*"', reason: expect.stringMatching(/no wildcards/) as unknown }])
    expect(dry.diff).toContain(`+    "${PROBE}@1.0.0": true,`)

    const out = await si(p, ['import'])
    expect(out).toContain('could not map:\n  pnpm-workspace.yaml allowBuilds["@types/*"] "@types/*": a name pattern')
    expect(out).toContain('denied order-leaf (from package.json lavamoat.allowScripts["x>order-leaf"]): LavaMoat denied order-leaf where reached through x')
    expect(await allowScripts(p)).toEqual({ [`${PROBE}@1.0.0`]: true, 'benign-postinstall@1.0.0': true, 'order-leaf': false })
    await npmOk(p, ['rebuild', '--strict-allow-scripts'])
    expect(existsSync(path.join(p.dir, 'node_modules', PROBE, 'ran.txt'))).toBe(true)
    expect(existsSync(path.join(p.dir, 'node_modules', 'order-leaf', 'stamps.log'))).toBe(false)

    // Importing again changes nothing: allowScripts already decides every package.
    expect(await si(p, ['import', '--from', 'bun'])).toMatch(/^kept benign-postinstall@1\.0\.0: allowScripts already decides benign-postinstall/)
  })

  it('writes the root package.json when run inside a workspace (npm reads allowScripts there only)', async () => {
    const ws = await project('ws', {}, (json) => `${JSON.stringify({ ...JSON.parse(json) as object, workspaces: ['packages/*'] }, null, 2)}\n`)
    const member = path.join(ws.dir, 'packages', 'a')
    await mkdir(member, { recursive: true })
    const memberJson = `${JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { 'benign-postinstall': '1.0.0' } }, null, 2)}\n`
    await writeFile(path.join(member, 'package.json'), memberJson)
    await npmOk(ws, ['install', '--ignore-scripts', '--no-audit', '--no-fund'])
    expect(await si({ ...ws, dir: member }, ['approve', 'benign-postinstall'])).toContain(`wrote 1 change to ${path.join(ws.dir, 'package.json')}`)
    expect(await allowScripts(ws)).toEqual({ 'benign-postinstall@1.0.0': true })
    expect(await readFile(path.join(member, 'package.json'), 'utf8')).toBe(memberJson)
  })

  it('stops with exit 2, the file:line:col and the JSON path of a malformed field, changing nothing', async () => {
    const cases: Array<{ file: string; text: string; args: string[]; message: RegExp }> = [
      { file: 'package.json', text: '{\n  "name": "x",\n  // approved by hand\n  "allowScripts": {}\n}\n', args: ['approve', 'x'],
        message: /package\.json:3:3: comments are not allowed in package\.json/ },
      { file: 'package.json', text: '{\n  "name": "x",\n  "allowScripts": {\n    "esbuild": "yes"\n  }\n}\n', args: ['prune'],
        message: /package\.json:4:16: allowScripts\["esbuild"\] must be true or false/ },
      { file: 'package.json', text: '{\n  "name": "x",\n  "lavamoat": { "allowScripts": { "a>b": 1 } }\n}\n', args: ['import'],
        message: /package\.json:3:42: lavamoat\.allowScripts\["a>b"\] must be true or false, not number 1/ },
      { file: 'pnpm-workspace.yaml', text: 'onlyBuiltDependencies: esbuild\n', args: ['import', '--from', 'pnpm'],
        message: /pnpm-workspace\.yaml:1:24: onlyBuiltDependencies must be a list of package names/ },
    ]
    for (const [index, c] of cases.entries()) {
      const p = await project(`bad-${index}`, {})
      await writeFile(path.join(p.dir, c.file), c.text)
      const before = await manifest(p)
      const r = await safeInstall(p, ['policy', ...c.args])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/^safe-install: /)
      expect(r.stderr).toMatch(c.message)
      expect(await manifest(p)).toBe(before)
    }
  })
})

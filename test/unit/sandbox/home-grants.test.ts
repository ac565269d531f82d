import { lstat, mkdir, mkdtemp, readlink, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeGrantRefusal } from '../../../src/policy/grant-scope.js'
import { openHookHome, prepareHomeGrants, refusedGrantFinding, splitWriteGrants, type HomeGrantSetup } from '../../../src/sandbox/home-grants.js'
import { loadPathRules } from '../../../src/trace/path-rules.js'

const rules = loadPathRules()

describe('splitWriteGrants', () => {
  it('splits ~ grants from absolute ones, drops a ~ grant inside another and anything that is neither', () => {
    expect(splitWriteGrants(['~/.cache/a', '/opt/x/', '~/.cache/a/b', '~/.cache/b', '~/.cache/b', 'rel', '~', '~/../x'])).toEqual({
      home: [{ grant: '~/.cache/a', rel: '.cache/a' }, { grant: '~/.cache/b', rel: '.cache/b' }],
      absolute: ['/opt/x/'],
    })
  })
})

describe('prepareHomeGrants (in a temp dir standing for the real home)', () => {
  let root: string
  let home: string
  let hookHome: string
  beforeEach(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'si-home-grants-')))
    home = join(root, 'home')
    hookHome = join(root, 'hook-home')
    await mkdir(home)
    await mkdir(hookHome)
    await writeFile(join(home, '.npmrc'), 'real\n')
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const setup = (over: Partial<HomeGrantSetup> = {}): HomeGrantSetup => ({
    grants: [{ grant: '~/.cache/tool', rel: '.cache/tool' }],
    realHome: home,
    hookHome,
    view: 'bind',
    refusal: (resolved, realHome) => writeGrantRefusal(resolved, { projectDir: join(root, 'project'), realHome, rules }),
    ...over,
  })

  it('creates the missing real directory (mode 0700) and an empty mount point in the hook\'s home', async () => {
    const { mapped, refused } = await prepareHomeGrants(setup())
    expect(refused).toEqual([])
    expect(mapped).toEqual([{ grant: '~/.cache/tool', rel: '.cache/tool', view: join(hookHome, '.cache/tool'), real: join(home, '.cache/tool') }])
    expect((await stat(join(home, '.cache/tool'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(home, '.cache'))).mode & 0o777).toBe(0o700)
    expect((await lstat(join(hookHome, '.cache/tool'))).isDirectory()).toBe(true)
  })

  it('links the view to the real directory where there is no mount namespace', async () => {
    await mkdir(join(home, '.cache/tool/bin'), { recursive: true })
    const { mapped } = await prepareHomeGrants(setup({ view: 'symlink' }))
    expect(mapped[0]?.real).toBe(join(home, '.cache/tool'))
    expect(await readlink(join(hookHome, '.cache/tool'))).toBe(join(home, '.cache/tool'))
  })

  it('maps the same grant for hooks that start together (playwright-chromium and playwright-firefox share ~/.cache/ms-playwright)', async () => {
    const hooks = await Promise.all([1, 2, 3].map(async (n) => {
      const own = join(root, `hook-${n}`)
      await mkdir(own)
      return prepareHomeGrants(setup({ hookHome: own, grants: [{ grant: '~/.cache/ms-playwright', rel: '.cache/ms-playwright' }] }))
    }))
    expect(hooks.map((h) => [h.refused, h.mapped.map((g) => g.real)])).toEqual([1, 2, 3].map(() => [[], [join(home, '.cache/ms-playwright')]]))
  })

  it('refuses a granted directory that is itself a symlink, and creates nothing', async () => {
    await mkdir(join(root, 'elsewhere'))
    await mkdir(join(home, '.cache'))
    await symlink(join(root, 'elsewhere'), join(home, '.cache/tool'))
    const { mapped, refused } = await prepareHomeGrants(setup({ view: 'symlink' }))
    expect(mapped).toEqual([])
    expect(refused).toEqual([expect.objectContaining({ grant: '~/.cache/tool', path: join(home, '.cache/tool'), reason: expect.stringContaining('is a symbolic link') })])
    await expect(lstat(join(hookHome, '.cache/tool'))).rejects.toThrow()
  })

  it('follows a symlinked ancestor the user made, granting the resolved directory', async () => {
    await mkdir(join(root, 'disk', 'cache'), { recursive: true })
    await symlink(join(root, 'disk', 'cache'), join(home, '.cache'))
    const { mapped } = await prepareHomeGrants(setup())
    expect(mapped[0]?.real).toBe(join(root, 'disk', 'cache', 'tool'))
    expect((await stat(join(root, 'disk', 'cache', 'tool'))).isDirectory()).toBe(true)
  })

  it('refuses an ancestor link that carries the grant onto a credential directory', async () => {
    await mkdir(join(home, '.ssh'))
    await symlink(join(home, '.ssh'), join(home, '.cache'))
    const { mapped, refused } = await prepareHomeGrants(setup({ grants: [{ grant: '~/.cache/tool', rel: '.cache/tool' }] }))
    expect(mapped).toEqual([])
    expect(refused[0]?.reason).toMatch(/resolves to .*\.ssh\/tool: a grant of ~\/\.ssh\/tool would cover/)
    await expect(lstat(join(home, '.ssh', 'tool'))).rejects.toThrow()
  })

  it('refuses a grant that is a file, and one under a missing home (never creating the home)', async () => {
    await mkdir(join(home, '.cache'))
    await writeFile(join(home, '.cache/tool'), 'x')
    expect((await prepareHomeGrants(setup())).refused[0]?.reason).toMatch(/is not a directory/)
    const gone = join(root, 'no-home')
    expect((await prepareHomeGrants(setup({ realHome: gone }))).refused[0]?.reason).toMatch(/does not exist/)
    await expect(lstat(gone)).rejects.toThrow()
    expect((await prepareHomeGrants(setup({ realHome: undefined }))).refused[0]?.reason).toMatch(/HOME is not set/)
    expect((await prepareHomeGrants(setup({ realHome: '/' }))).refused[0]?.reason).toMatch(/HOME is \//)
  })

  it('gives a hook with ~ grants a home of its own; without, the shared one', async () => {
    const shared = join(root, 'shared')
    let made = 0
    const newHome = async (): Promise<string> => {
      made += 1
      const dir = join(root, `own-${made}`)
      await mkdir(dir)
      return dir
    }
    const base = { sharedHome: shared, newHome, realHome: home, view: 'bind' as const, refusal: () => undefined }
    expect(await openHookHome({ ...base, write: ['/opt/cache'] })).toEqual({ dir: shared, writable: ['/opt/cache'], mapped: [], refused: [] })
    const own = await openHookHome({ ...base, write: ['/opt/cache', '~/.cache/tool'] })
    expect(own.dir).toBe(join(root, 'own-1'))
    expect(own.writable).toEqual(['/opt/cache', join(home, '.cache/tool')])
  })

  it('says why a grant stays in the throwaway home, and what to do', () => {
    const finding = refusedGrantFinding(
      { package: { name: 'tool', version: '1.0.0' }, event: 'postinstall', label: 'postinstall of tool@1.0.0' },
      { grant: '~/.cache/tool', rel: '.cache/tool', path: '/home/a/.cache/tool', reason: 'r', fix: 'f' },
    )
    expect(finding).toMatchObject({ rule: 'write-outside-package', severity: 'warning', action: 'blocked', evidence: { grant: '~/.cache/tool', reason: 'r', fix: 'f' } })
    expect(finding.message).toContain('lost after the install')
  })
})

import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { create } from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTarball } from '../../../src/audit/cached.js'
import { analysePackage } from '../../../src/audit/static/index.js'

describe('readTarball (npm cache copies, read in memory)', () => {
  let work: string
  let tarball: Buffer
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'si-cached-'))
    const pkg = join(work, 'package')
    await mkdir(join(pkg, 'lib'), { recursive: true })
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', scripts: { postinstall: 'node lib/install.js' } }))
    await writeFile(join(pkg, 'lib', 'install.js'), "require('fs').readFileSync(require('os').homedir() + '/.npmrc')\n")
    await writeFile(join(pkg, 'big.bin'), Buffer.alloc(3 * 1024 * 1024))
    await symlink('/etc/hostname', join(pkg, 'link.js'))
    await create({ gzip: true, cwd: work, file: join(work, 'x.tgz'), portable: true }, ['package'])
    tarball = await readFile(join(work, 'x.tgz'))
  })
  afterAll(async () => { await rm(work, { recursive: true, force: true }) })

  it('keeps regular files by their path in the package, sizes only for large ones, and no links', async () => {
    const files = await readTarball(tarball)
    expect([...files.keys()].sort()).toEqual(['big.bin', 'lib/install.js', 'package.json'])
    expect(files.get('big.bin')).toEqual({ size: 3 * 1024 * 1024, data: undefined })
    expect(files.get('lib/install.js')?.data?.toString()).toContain('.npmrc')
  })

  it('is analysed like a folder: the script it runs is followed and judged', async () => {
    const found = await analysePackage(await readTarball(tarball))
    expect(found.map((f) => `${f.severity} ${f.rule} ${f.evidence.file}`)).toContain('error static-credential-path lib/install.js')
  })

  it('yields no files for bytes that are not a tarball (then the audit says it has no package.json)', async () => {
    await expect(readTarball(Buffer.from('not a tarball at all'))).resolves.toEqual(new Map())
  })
})

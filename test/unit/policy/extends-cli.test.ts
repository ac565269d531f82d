import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = join(root, 'bin', 'safe-install.js')
const built = existsSync(join(root, 'dist', 'cli', 'main.js'))

/** bin/ as a user runs it; the policy is read before anything is fetched, so no registry is needed. */
const run = (cwd: string, home: string, args: readonly string[]): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], {
      cwd, env: { PATH: process.env['PATH'] ?? '', HOME: home, npm_config_registry: 'http://127.0.0.1:9/' },
    }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr }))
  })

describe.runIf(built)('safe-install with a bad extends (built CLI: npm run build)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'si-extends-'))
    await mkdir(join(dir, 'home'))
    await mkdir(join(dir, 'project'))
    await writeFile(join(dir, 'project', 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0' }))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('exits 2 with one line naming extends, and writes nothing', async () => {
    await writeFile(join(dir, 'project', 'safe-install.policy.json'), JSON.stringify({ extends: ['default', 'known-pkgs'] }))
    const r = await run(join(dir, 'project'), join(dir, 'home'), ['install'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^safe-install: .*safe-install\.policy\.json: extends\.1: must be one of \["default","strict","known-packages"\]/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(dir, 'project', 'node_modules'))).toBe(false)
    expect(existsSync(join(dir, 'project', 'package-lock.json'))).toBe(false)
  })
})

/**
 * safe-install as a user gets it, for tests that install or run the packed tarball: `npm pack` in
 * a clean copy of the checkout (no dist/, so `prepack` must build it), and a loopback Verdaccio
 * without uplinks that serves exactly safe-install's runtime dependencies (from npm's cache), so
 * `npm install -g` and `npx` of the tarball need no network and a dev dependency the code needed
 * would be a 404.
 */
import { realpathSync, symlinkSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import * as path from 'node:path'
import { REPO_ROOT } from './fixtures.js'
import { run, startRegistry, type Registry } from './registry.js'
import { publishRuntimeTree } from './runtime-registry.js'

export interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: Array<{ path: string; mode: number }>
}

export interface PackedCheckout {
  /** The clean copy the tarball was packed from (its dist/ is what prepack built). */
  readonly checkout: string
  /** Absolute path of the .tgz. */
  readonly tarball: string
  readonly packed: PackResult
}

/** Not copied into the clean checkout: what a build, an install or a test run leaves behind. */
const BUILD_LEFTOVERS = new Set(['node_modules', 'dist', '.git', '.tmp', 'coverage'])

/**
 * Copies the checkout to `<root>/checkout` without build leftovers or packed tarballs, shares its
 * node_modules (tsc for prepack), and runs `npm pack` there with `env`; the tarball lands in `root`.
 */
export const packCleanCheckout = async (root: string, env: Record<string, string>): Promise<PackedCheckout> => {
  const checkout = path.join(root, 'checkout')
  await cp(REPO_ROOT, checkout, {
    recursive: true,
    filter: (from) => {
      const rel = path.relative(REPO_ROOT, from)
      return !BUILD_LEFTOVERS.has(rel) && !(rel !== '' && !rel.includes(path.sep) && rel.endsWith('.tgz'))
    },
  })
  symlinkSync(realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(checkout, 'node_modules'))
  const pack = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: checkout, env, timeoutMs: 180_000 })
  if (pack.code !== 0) throw new Error(`npm pack failed (exit ${String(pack.code)})\n${pack.stderr}\n${pack.stdout}`)
  const packed = (JSON.parse(pack.stdout) as PackResult[])[0]
  if (packed === undefined) throw new Error(`npm pack printed no result\n${pack.stdout}`)
  return { checkout, tarball: path.join(root, packed.filename), packed }
}

/**
 * Starts a Verdaccio holding safe-install's runtime dependency tree, taken from the npm cache of
 * this machine's npm configuration. `repacked` names the packages that were not in the cache and
 * were packed from node_modules instead (same files, other bytes).
 */
export const startRuntimeRegistry = async (): Promise<{ readonly registry: Registry; readonly repacked: string[] }> => {
  const registry = await startRegistry()
  try {
    const npmCache = (await run('npm', ['config', 'get', 'cache'], { cwd: REPO_ROOT, env: process.env as Record<string, string> })).stdout.trim()
    const published = await publishRuntimeTree(registry, { repoRoot: REPO_ROOT, npmCache })
    return { registry, repacked: published.repacked }
  } catch (err) {
    await registry.stop()
    throw err
  }
}

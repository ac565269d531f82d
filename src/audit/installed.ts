import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { LockEntry, Lockfile } from './lockfile/index.js'
import type { MemoryPackage } from './static/index.js'

/**
 * What the installed copy of a lockfile entry says, when node_modules is there: read offline, as
 * files, never run. Most lockfile formats do not record install scripts (yarn, pnpm v9, bun, npm
 * v1); the package's own package.json does.
 */

export interface InstalledPackage {
  /** The package directory. */
  readonly dir: string
  /** preinstall / install / postinstall, and npm's implicit `node-gyp rebuild` for a binding.gyp without either install hook. */
  readonly scripts: Readonly<Record<string, string>>
  /** Read from the tarball in npm's cache (src/audit/cached.ts), not node_modules: the files, in memory (`dir` is empty). */
  readonly files?: MemoryPackage
}

const HOOKS = ['preinstall', 'install', 'postinstall'] as const

/**
 * Where the entry is installed: npm's location under the project, else (other formats)
 * node_modules/<name> at the top level, which is all a flat or symlinked layout shows without
 * resolving the package manager's store. Only a copy whose package.json has the entry's name and
 * version counts.
 */
const candidateDir = (entry: LockEntry, lock: Lockfile, projectDir: string): string | undefined => {
  if (lock.format === 'npm') return entry.location === undefined || entry.location === '' ? undefined : join(projectDir, entry.location)
  return join(projectDir, 'node_modules', entry.name)
}

const readInstalled = async (dir: string, entry: LockEntry): Promise<InstalledPackage | undefined> => {
  let manifest: Record<string, unknown>
  try {
    manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  if (manifest['name'] !== (entry.realName ?? entry.name) || (entry.version !== undefined && manifest['version'] !== entry.version)) return undefined
  return { dir, scripts: installedScripts(manifest, existsSync(join(dir, 'binding.gyp'))) }
}

/** The install hooks a manifest declares, and npm's implicit `node-gyp rebuild` for a binding.gyp without install hooks. */
export const installedScripts = (manifest: Readonly<Record<string, unknown>>, bindingGyp: boolean): Record<string, string> => {
  const declared = typeof manifest['scripts'] === 'object' && manifest['scripts'] !== null ? manifest['scripts'] as Record<string, unknown> : {}
  const scripts: Record<string, string> = {}
  for (const hook of HOOKS) {
    const command = declared[hook]
    if (typeof command === 'string' && command.trim() !== '') scripts[hook] = command
  }
  if (scripts['install'] === undefined && scripts['preinstall'] === undefined && bindingGyp) scripts['install'] = 'node-gyp rebuild'
  return scripts
}

/** An entry's identity within its lockfile: where its key is written. */
export const entryId = (entry: LockEntry): string => `${entry.line}:${entry.column}`

/** The installed copy of every entry that has one, by entryId. */
export const findInstalled = async (lock: Lockfile, projectDir: string): Promise<ReadonlyMap<string, InstalledPackage>> => {
  const found = new Map<string, InstalledPackage>()
  if (!existsSync(join(projectDir, 'node_modules'))) return found
  await Promise.all(lock.entries.map(async (entry) => {
    const dir = candidateDir(entry, lock, projectDir)
    const installed = dir === undefined ? undefined : await readInstalled(dir, entry)
    if (installed !== undefined) found.set(entryId(entry), installed)
  }))
  return found
}

/** The lockfile with install scripts known from node_modules where the lockfile itself does not say. */
export const withInstalledScripts = (lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>): Lockfile => ({
  ...lock,
  entries: lock.entries.map((entry) => {
    const copy = installed.get(entryId(entry))
    if (entry.hasInstallScript !== undefined || copy === undefined) return entry
    return { ...entry, hasInstallScript: Object.keys(copy.scripts).length > 0 }
  }),
})

import { statSync } from 'node:fs'
import { join, posix } from 'node:path'
import cacache from 'cacache'
import { Parser, type ReadEntry } from 'tar'
import { installedScripts, entryId, type InstalledPackage } from './installed.js'
import type { LockEntry, Lockfile } from './lockfile/index.js'
import type { MemoryPackage } from './static/index.js'

/**
 * Packages read from npm's own cache when they are not installed: the tarball is looked up by the
 * lockfile's integrity (content-addressed, so what npm would install is exactly what is read), its
 * bytes are verified against that integrity by cacache, and its files are read in memory for the
 * static analysis: nothing is unpacked to disk and nothing is run. Nothing is fetched either: a
 * package that is not in the cache is simply not analysed, and the audit says how many were not.
 *
 * Bounded: tarballs over MAX_TARBALL are skipped; only regular files are kept (no links, devices
 * or FIFOs; paths normalised, `..` dropped), their bytes only up to MAX_FILE each (a larger one is
 * known by its size and reported as skipped by the analysis) and MAX_KEPT in all, MAX_FILES entries.
 */

const MAX_TARBALL = 64 * 1024 * 1024
const MAX_FILE = 2 * 1024 * 1024
const MAX_KEPT = 64 * 1024 * 1024
const MAX_FILES = 20_000
/** Tarball reads at a time: each holds a tarball in memory. */
const READS = 8

/** A strong SRI token (sha256/384/512): npm's cache indexes content by these, never by sha1 alone. */
const STRONG_SRI = /^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$/

export interface CachedCopies {
  /** Copies by entryId, with the install scripts their manifest declares and (with scripts) their files. */
  readonly copies: ReadonlyMap<string, InstalledPackage>
  /** Cached tarballs found but rejected (integrity mismatch, too large, unreadable). */
  readonly problems: ReadonlyArray<{ readonly entry: LockEntry; readonly reason: string }>
}

const strongIntegrity = (integrity: string | undefined): string | undefined => {
  const tokens = (integrity ?? '').split(/\s+/).filter((token) => STRONG_SRI.test(token))
  return tokens.length === 0 ? undefined : tokens.join(' ')
}

/** Entries worth looking up: not installed, not bundled, a strong integrity, and install scripts recorded or unknown. */
const wanted = (lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>): LockEntry[] =>
  lock.entries.filter((entry) => entry.hasInstallScript !== false && entry.inBundle !== true
    && !installed.has(entryId(entry)) && strongIntegrity(entry.integrity) !== undefined)

/**
 * The regular files of a package tarball, by path inside the package (npm tarballs hold one top
 * folder, usually `package/`, which is dropped as pacote's extraction drops it).
 */
export const readTarball = async (tarball: Buffer): Promise<MemoryPackage> => {
  const files = new Map<string, { size: number; data: Buffer | undefined }>()
  let kept = 0
  let entries = 0
  let overflow: string | undefined
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      entries += 1
      if (entries > MAX_FILES) overflow ??= `more than ${MAX_FILES} entries`
      const inner = posix.normalize(entry.path.split('/').slice(1).join('/'))
      if (overflow !== undefined || entry.type !== 'File' || inner === '.' || inner === '..' || inner.startsWith('../') || inner.startsWith('/')) {
        entry.resume()
        return
      }
      if (entry.size > MAX_FILE || kept + entry.size > MAX_KEPT) {
        files.set(inner, { size: entry.size, data: undefined })
        entry.resume()
        return
      }
      kept += entry.size
      const chunks: Buffer[] = []
      entry.on('data', (chunk: Buffer) => chunks.push(chunk))
      entry.on('end', () => files.set(inner, { size: entry.size, data: Buffer.concat(chunks) }))
    },
  })
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve)
    parser.on('error', reject)
    parser.end(tarball)
  })
  if (overflow !== undefined) throw new Error(overflow)
  return files
}

/**
 * Finds in npm's cache (`cacheDir`, npm's `_cacache`) the tarballs of the entries that are not
 * installed, verifies them against the lockfile's integrity, and keeps in memory the files of those
 * with install-time code (install hooks, or a binding.gyp that makes npm run `node-gyp rebuild`).
 */
export const readCachedCopies = async (
  lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, cacheDir: string,
): Promise<CachedCopies> => {
  const entries = wanted(lock, installed)
  const copies = new Map<string, InstalledPackage>()
  const problems: Array<{ entry: LockEntry; reason: string }> = []
  const hits: Array<{ entry: LockEntry; integrity: string; size: number }> = []
  // A stat per entry at cacache's content-v2 layout (what npm writes): a lookup through cacache
  // costs a parse and a promise per entry, too much for lockfiles of thousands of entries. The
  // bytes are still read and verified by cacache.
  for (const entry of entries) {
    const integrity = strongIntegrity(entry.integrity)
    if (integrity === undefined) continue
    const size = cachedSize(cacheDir, integrity)
    if (size !== undefined) hits.push({ entry, integrity, size })
  }
  await pool(hits, READS, async ({ entry, integrity, size }) => {
    if (size > MAX_TARBALL) {
      problems.push({ entry, reason: `its cached tarball is ${Math.round(size / 1024 / 1024)} MB, over the ${MAX_TARBALL / 1024 / 1024} MB limit` })
      return
    }
    try {
      const files = await readTarball(await cacache.get.byDigest(cacheDir, integrity))
      const manifest = files.get('package.json')?.data
      if (manifest === undefined) {
        problems.push({ entry, reason: 'its cached tarball has no readable package.json' })
        return
      }
      const scripts = installedScripts(JSON.parse(manifest.toString('utf8')) as Record<string, unknown>, files.has('binding.gyp'))
      copies.set(entryId(entry), Object.keys(scripts).length === 0 ? { dir: '', scripts } : { dir: '', scripts, files })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      problems.push({ entry, reason: code === 'EINTEGRITY'
        ? 'its cached tarball does not match the lockfile\'s integrity'
        : error instanceof SyntaxError ? 'the package.json in its cached tarball is not valid JSON'
          : `its cached tarball could not be read (${code ?? (error as Error).message})` })
    }
  })
  return { copies, problems }
}

/** The size of the cached content for any of the SRI tokens, if npm's cache holds it. */
const cachedSize = (cacheDir: string, integrity: string): number | undefined => {
  for (const token of integrity.split(' ')) {
    const dash = token.indexOf('-')
    const hex = Buffer.from(token.slice(dash + 1), 'base64').toString('hex')
    const stat = statSync(join(cacheDir, 'content-v2', token.slice(0, dash), hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)), { throwIfNoEntry: false })
    if (stat?.isFile() === true) return stat.size
  }
  return undefined
}

/** Runs `fn` over `items` with at most `limit` at a time. */
const pool = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T
      next += 1
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** npm's content cache: `<cache>/_cacache`, as npm's flat options name it. */
export const npmContentCache = (flat: Readonly<Record<string, unknown>>): string | undefined =>
  typeof flat['cache'] === 'string' && flat['cache'] !== '' ? flat['cache'] : undefined

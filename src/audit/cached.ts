import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import cacache from 'cacache'
import { Parser, Unpack, type ReadEntry } from 'tar'
import { installedScripts, entryId, type InstalledPackage } from './installed.js'
import type { LockEntry, Lockfile } from './lockfile/index.js'

/**
 * Packages read from npm's own cache when they are not installed: the tarball is looked up by the
 * lockfile's integrity (content-addressed, so what npm would install is exactly what is read), its
 * bytes are verified against that integrity by cacache, and it is unpacked into a private temporary
 * folder for the static analysis, as files, never run. Nothing is fetched: a package that is not in
 * the cache is simply not analysed, and the audit says how many were not.
 *
 * Bounded: tarballs over MAX_TARBALL are skipped, an unpack stops at MAX_UNPACKED bytes or
 * MAX_FILES entries, and only plain files and folders are written (no links, devices or FIFOs;
 * tar strips absolute paths and `..`, as pacote's extraction does).
 */

const MAX_TARBALL = 64 * 1024 * 1024
const MAX_UNPACKED = 256 * 1024 * 1024
const MAX_FILES = 20_000
const CONCURRENCY = 8

/** A strong SRI token (sha256/384/512): npm's cache indexes content by these, never by sha1 alone. */
const STRONG_SRI = /^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$/

export interface CachedCopies {
  /** Unpacked copies by entryId, with the install scripts their manifest declares. */
  readonly copies: ReadonlyMap<string, InstalledPackage>
  /** Entries looked up, found in the cache, and rejected (integrity mismatch, too large, unreadable). */
  readonly looked: number
  readonly found: number
  readonly problems: ReadonlyArray<{ readonly entry: LockEntry; readonly reason: string }>
  /** Removes the temporary folder. */
  readonly dispose: () => Promise<void>
}

const strongIntegrity = (integrity: string | undefined): string | undefined => {
  const tokens = (integrity ?? '').split(/\s+/).filter((token) => STRONG_SRI.test(token))
  return tokens.length === 0 ? undefined : tokens.join(' ')
}

/** Entries worth looking up: not installed, not bundled, a strong integrity, and install scripts recorded or unknown. */
const wanted = (lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>): LockEntry[] =>
  lock.entries.filter((entry) => entry.hasInstallScript !== false && entry.inBundle !== true
    && !installed.has(entryId(entry)) && strongIntegrity(entry.integrity) !== undefined)

/** Reads package.json and whether binding.gyp is at the package root, from the tarball in memory. */
const peek = async (tarball: Buffer): Promise<{ manifest: string | undefined; bindingGyp: boolean }> => {
  let manifest: string | undefined
  let bindingGyp = false
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const inner = entry.path.split('/').slice(1).join('/')
      if (entry.type === 'File' && inner === 'binding.gyp') bindingGyp = true
      if (entry.type !== 'File' || inner !== 'package.json' || entry.size > 1024 * 1024) {
        entry.resume()
        return
      }
      const chunks: Buffer[] = []
      entry.on('data', (chunk: Buffer) => chunks.push(chunk))
      entry.on('end', () => { manifest = Buffer.concat(chunks).toString('utf8') })
    },
  })
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve)
    parser.on('error', reject)
    parser.end(tarball)
  })
  return { manifest, bindingGyp }
}

const unpack = async (tarball: Buffer, dir: string): Promise<void> => {
  await mkdir(dir, { recursive: true })
  let bytes = 0
  let files = 0
  let overflow = false
  const unpacker = new Unpack({
    cwd: dir, strip: 1, preserveOwner: false, noMtime: true,
    filter: (_path, entry) => {
      const read = entry as ReadEntry
      if (read.type !== 'File' && read.type !== 'Directory') return false
      bytes += read.size
      files += 1
      if (bytes > MAX_UNPACKED || files > MAX_FILES) overflow = true
      return !overflow
    },
  })
  await new Promise<void>((resolve, reject) => {
    unpacker.on('close', resolve)
    unpacker.on('error', reject)
    unpacker.end(tarball)
  })
  if (overflow) throw new Error(`larger than ${MAX_FILES} files or ${MAX_UNPACKED / 1024 / 1024} MB unpacked`)
}

/**
 * Finds in npm's cache (`cacheDir`, npm's `_cacache`) the tarballs of the entries that are not
 * installed, verifies them against the lockfile's integrity, and unpacks those with install-time
 * code (install hooks, or a binding.gyp that makes npm run `node-gyp rebuild`).
 */
export const readCachedCopies = async (
  lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, cacheDir: string,
): Promise<CachedCopies> => {
  const entries = wanted(lock, installed)
  const copies = new Map<string, InstalledPackage>()
  const problems: Array<{ entry: LockEntry; reason: string }> = []
  let root: string | undefined
  let found = 0
  const work = async (entry: LockEntry, index: number): Promise<void> => {
    const integrity = strongIntegrity(entry.integrity)
    if (integrity === undefined) return
    const content = await cacache.get.hasContent(cacheDir, integrity).catch(() => false as const)
    if (content === false) return
    found += 1
    if (content.size > MAX_TARBALL) {
      problems.push({ entry, reason: `its cached tarball is ${Math.round(content.size / 1024 / 1024)} MB, over the ${MAX_TARBALL / 1024 / 1024} MB limit` })
      return
    }
    try {
      const tarball = await cacache.get.byDigest(cacheDir, integrity)
      const { manifest, bindingGyp } = await peek(tarball)
      if (manifest === undefined) {
        problems.push({ entry, reason: 'its cached tarball has no package.json' })
        return
      }
      const scripts = installedScripts(JSON.parse(manifest) as Record<string, unknown>, bindingGyp)
      if (Object.keys(scripts).length === 0) {
        copies.set(entryId(entry), { dir: '', scripts })
        return
      }
      root ??= await mkdtemp(join(tmpdir(), 'safe-install-audit-'))
      const dir = join(root, String(index))
      await unpack(tarball, dir)
      copies.set(entryId(entry), { dir, scripts, cached: true })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      problems.push({ entry, reason: code === 'EINTEGRITY'
        ? 'its cached tarball does not match the lockfile\'s integrity'
        : `its cached tarball could not be read (${code ?? (error as Error).message})` })
    }
  }
  for (let start = 0; start < entries.length; start += CONCURRENCY) {
    await Promise.all(entries.slice(start, start + CONCURRENCY).map((entry, i) => work(entry, start + i)))
  }
  const dispose = async (): Promise<void> => {
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  }
  return { copies, looked: entries.length, found, problems, dispose }
}

/** npm's content cache: `<cache>/_cacache`, as npm's flat options name it. */
export const npmContentCache = (flat: Readonly<Record<string, unknown>>): string | undefined =>
  typeof flat['cache'] === 'string' && flat['cache'] !== '' ? flat['cache'] : undefined

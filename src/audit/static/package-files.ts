import { realpath, readFile, stat } from 'node:fs/promises'
import { join, posix, relative, sep } from 'node:path'

/** A file of the package, read for analysis, or why it was not. */
export type PackageFile =
  | { readonly kind: 'read'; readonly path: string; readonly text: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly path: string; readonly reason: string }
  | { readonly kind: 'outside'; readonly path: string }
  | { readonly kind: 'too-large'; readonly path: string; readonly size: number }

const JS_CANDIDATES = ['', '.js', '.cjs', '.mjs', '.json', '/index.js', '/index.cjs', '/index.mjs']

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)

/**
 * A package held in memory: its regular files by path relative to the package root (`/`
 * separators, no `.` or `..` segments), with their size and, for files small enough to be read,
 * their bytes. What a tarball holds, read without writing anything to disk.
 */
export type MemoryPackage = ReadonlyMap<string, { readonly size: number; readonly data: Buffer | undefined }>

/** A package on disk (its folder) or in memory. */
export type PackageRoot = string | MemoryPackage

/**
 * Find and read a package file the way node would resolve it (`./x` → x, x.js, x/index.js ...),
 * refusing symlinks that lead out of the package and files over `maxBytes`.
 */
export const readPackageFile = async (root: PackageRoot, path: string, resolveLikeNode: boolean, maxBytes: number): Promise<PackageFile> =>
  typeof root === 'string' ? readDiskFile(root, path, resolveLikeNode, maxBytes) : readMemoryFile(root, path, resolveLikeNode, maxBytes)

const readMemoryFile = (root: MemoryPackage, path: string, resolveLikeNode: boolean, maxBytes: number): PackageFile => {
  for (const suffix of resolveLikeNode ? JS_CANDIDATES : ['']) {
    const rel = posix.normalize(`${path}${suffix}`.split(sep).join('/')).replace(/^\.\//, '')
    if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) return { kind: 'outside', path: `${path}${suffix}` }
    const file = root.get(rel)
    if (file === undefined) continue
    if (file.size > maxBytes || file.data === undefined) return { kind: 'too-large', path: rel, size: file.size }
    return { kind: 'read', path: rel, text: file.data.toString('utf8') }
  }
  return { kind: 'missing' }
}

const readDiskFile = async (root: string, path: string, resolveLikeNode: boolean, maxBytes: number): Promise<PackageFile> => {
  const realRoot = await realpath(root).catch(() => root)
  for (const suffix of resolveLikeNode ? JS_CANDIDATES : ['']) {
    const candidate = join(root, `${path}${suffix}`)
    let info
    try {
      info = await stat(candidate)
    } catch {
      continue
    }
    if (!info.isFile()) continue
    try {
      const real = await realpath(candidate)
      const rel = relative(realRoot, real).split(sep).join('/')
      if (!inside(realRoot, real)) return { kind: 'outside', path: `${path}${suffix}` }
      if (info.size > maxBytes) return { kind: 'too-large', path: rel, size: info.size }
      return { kind: 'read', path: rel, text: await readFile(real, 'utf8') }
    } catch (error) {
      return { kind: 'unreadable', path: `${path}${suffix}`, reason: (error as NodeJS.ErrnoException).code ?? 'error' }
    }
  }
  return { kind: 'missing' }
}

/** Line (1-based) and text of a hook's entry in package.json, for evidence. */
export const scriptLine = (manifest: string, name: string): { offset: number } => {
  const scripts = manifest.indexOf('"scripts"')
  const at = manifest.indexOf(`"${name}"`, scripts === -1 ? 0 : scripts)
  return { offset: at === -1 ? 0 : at }
}

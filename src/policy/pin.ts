import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { join } from 'node:path'
import { installedScripts } from '../audit/installed.js'
import { analysePackage, loadStaticRules, type PackageRoot, type StaticRules } from '../audit/static/index.js'
import { readPackageFile } from '../audit/static/package-files.js'

/**
 * Content pinning: what a package runs at install time, as a digest recorded at approval. The
 * content is the install commands (npm's implicit `node-gyp rebuild` included, and every
 * `npm run x` they reach) and every package file that install code runs or loads as code, found
 * the way the static review follows them (src/audit/static: `node x`, `sh x`, relative requires,
 * node-gyp-build / prebuild-install, binding.gyp). Two versions whose install code is identical
 * have the same pin, whatever else changed in the package; a changed byte in any of those files
 * or commands changes it.
 */

export interface ScriptContent {
  /** Commands by script name: the install hooks and the scripts they run. */
  readonly scripts: Readonly<Record<string, string>>
  /** sha256 (SRI form) of each file the install code runs, by path inside the package. */
  readonly files: Readonly<Record<string, string>>
}

const sri = (hash: ReturnType<typeof createHash>): string => `sha256-${hash.digest('base64')}`

const hashFile = async (root: PackageRoot, path: string): Promise<string> => {
  const hash = createHash('sha256')
  if (typeof root !== 'string') {
    const data = root.get(path)?.data
    if (data === undefined) throw new Error(`${path} is too large to hash in memory`)
    return sri(hash.update(data))
  }
  for await (const chunk of createReadStream(join(root, path))) hash.update(chunk as Buffer)
  return sri(hash)
}

const readManifest = async (root: PackageRoot): Promise<Record<string, unknown>> => {
  const file = await readPackageFile(root, 'package.json', false, 16 * 1024 * 1024)
  return file.kind === 'read' ? JSON.parse(file.text) as Record<string, unknown> : {}
}

/** The install-time content of a package (a folder, or a tarball's files in memory). */
export const scriptContent = async (root: PackageRoot, rules: StaticRules = loadStaticRules()): Promise<ScriptContent> => {
  const manifest = await readManifest(root)
  const hasGyp = typeof root === 'string' ? existsSync(join(root, 'binding.gyp')) : root.has('binding.gyp')
  const scripts: Record<string, string> = { ...installedScripts(manifest, hasGyp) }
  const paths = new Set<string>()
  await analysePackage(root, {
    rules,
    onFile: (path) => { paths.add(path) },
    onScript: (name, command) => { scripts[name] = command },
  })
  const files: Record<string, string> = {}
  for (const path of [...paths].sort()) files[path] = await hashFile(root, path)
  return { scripts: sortKeys(scripts), files }
}

const sortKeys = (record: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** The pin of some content: sha256 over a canonical form (sorted keys, one JSON text). */
export const pinOf = (content: ScriptContent): string =>
  sri(createHash('sha256').update(JSON.stringify({ scripts: sortKeys(content.scripts), files: sortKeys(content.files) })))

export interface ContentChange {
  /** One line per change a reviewer reads first: commands, then files. */
  readonly lines: readonly string[]
  /** Files whose content changed (or appeared), for a line diff when the old text is at hand. */
  readonly changedFiles: readonly string[]
}

/** What changed between the approved content and the content about to run, in words. */
export const describeChange = (approved: ScriptContent, now: ScriptContent): ContentChange => {
  const lines: string[] = []
  const changedFiles: string[] = []
  for (const name of new Set([...Object.keys(approved.scripts), ...Object.keys(now.scripts)])) {
    const was = approved.scripts[name]
    const is = now.scripts[name]
    if (was === is) continue
    if (was === undefined) lines.push(`script "${name}" added: ${is ?? ''}`)
    else if (is === undefined) lines.push(`script "${name}" removed (was: ${was})`)
    else lines.push(`script "${name}" changed: ${was} → ${is}`)
  }
  for (const path of new Set([...Object.keys(approved.files), ...Object.keys(now.files)])) {
    const was = approved.files[path]
    const is = now.files[path]
    if (was === is) continue
    if (was === undefined) {
      lines.push(`${path}: new file run at install time`)
      changedFiles.push(path)
    } else if (is === undefined) lines.push(`${path}: no longer run at install time`)
    else {
      lines.push(`${path}: content changed`)
      changedFiles.push(path)
    }
  }
  return { lines, changedFiles }
}

/** A unified diff of one file, bounded: what a reviewer reads before approving again. */
export const fileDiff = async (path: string, before: string | undefined, after: string, maxLines = 80): Promise<string> => {
  const { createTwoFilesPatch } = await import('diff')
  const patch = createTwoFilesPatch(`approved/${path}`, `now/${path}`, before ?? '', after, undefined, undefined, { context: 2 })
  const lines = patch.split('\n').slice(2)
  return lines.length > maxLines ? [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`].join('\n') : lines.join('\n')
}

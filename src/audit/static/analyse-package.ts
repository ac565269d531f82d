import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadStaticRules, type StaticRules } from './catalogue.js'
import { analyseCommandLine } from './command-analysis.js'
import { FindingCollector } from './findings.js'
import { scanBindingGyp } from './gyp-analysis.js'
import { indexLines, positionAt } from './locate.js'
import { readPackageFile, scriptLine, type PackageRoot } from './package-files.js'
import { scanShellText } from './shell-file.js'
import { scanSource } from './source-analysis.js'
import { checkString } from './string-checks.js'
import { packagePath, type ScriptTarget } from './targets.js'
import type { SourcePosition, StaticFinding } from './types.js'

export interface PackageAnalysisOptions {
  /** The compiled catalogues; pass them when analysing many packages (default: load them now). */
  readonly rules?: StaticRules
  /** Files analysed per package (default 50). */
  readonly maxFiles?: number
  /** Larger files are skipped with a note (default 2 MB). */
  readonly maxFileBytes?: number
  /** How many `require` / `import` hops are followed from a script's entry file (default 4). */
  readonly maxDepth?: number
  /**
   * Told of every package file the install code runs or reads as code (scripts' files, their
   * requires, binding.gyp), analysed or not (too large, over the file limit), once each; and of
   * every package.json script it runs (the hooks, `npm run x`). What content pinning hashes.
   */
  readonly onFile?: (path: string) => void
  readonly onScript?: (name: string, command: string) => void
}

/** package.json is read whole whatever maxFileBytes says; npm itself refuses absurd manifests. */
const MAX_MANIFEST = 16 * 1024 * 1024

/** npm's install-time hooks, in the order npm runs them. */
export const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall'] as const

interface Work {
  readonly target: ScriptTarget
  readonly depth: number
  /** Where the target was named, for "missing file" notes; undefined for `require`s. */
  readonly namedAt: SourcePosition | undefined
}

interface Run {
  readonly dir: PackageRoot
  readonly options: PackageAnalysisOptions
  readonly rules: StaticRules
  readonly sink: FindingCollector
  readonly scripts: Readonly<Record<string, unknown>>
  readonly manifest: string
  readonly queue: Work[]
  readonly done: Set<string>
  readonly maxFiles: number
  readonly maxFileBytes: number
  readonly maxDepth: number
  files: number
}

const enqueue = (run: Run, targets: readonly ScriptTarget[], depth: number, namedAt: SourcePosition | undefined): void => {
  for (const target of targets) run.queue.push({ target, depth, namedAt })
}

const reviewScript = (run: Run, name: string, command: string, depth: number): void => {
  const at = positionAt(indexLines(run.manifest), 'package.json', scriptLine(run.manifest, name).offset)
  for (const h of checkString(command, undefined, run.rules).hits) run.sink.add(h.rule, h.severity, h.message, at, h.match)
  const analysis = analyseCommandLine(command, run.rules)
  for (const h of analysis.hits) run.sink.add(h.rule, h.severity, h.message, at, h.match)
  for (const target of analysis.targets) {
    if (target.kind === 'inline') enqueue(run, scanSource(target.code, 'package.json', { rules: run.rules, sink: run.sink, anchor: at }).targets, depth + 1, at)
    else if (target.kind === 'js' || target.kind === 'shell' || target.kind === 'text') {
      const path = packagePath(target.path, '')
      if (path !== undefined) enqueue(run, [{ ...target, path }], depth, at)
    } else enqueue(run, [target], depth, at)
  }
}

const reviewFile = async (run: Run, work: Work, path: string): Promise<void> => {
  const kind = work.target.kind
  const file = await readPackageFile(run.dir, path, kind === 'js', run.maxFileBytes)
  if (file.kind === 'missing') {
    if (work.namedAt !== undefined) run.sink.add('static-skipped', 'note', `The install script runs ${path}, which is not in the package: npm will fail, or the file is created at install time and could not be reviewed.`, work.namedAt, path)
    return
  }
  if (file.kind === 'unreadable') {
    run.sink.add('static-skipped', 'note', `${file.path} could not be read (${file.reason}), so it was not analysed; look at it yourself before approving.`, work.namedAt ?? { file: file.path, line: 1, column: 1, snippet: '' }, file.path)
    return
  }
  if (file.kind === 'outside') {
    run.sink.add('static-skipped', 'warning', `${path} is a symbolic link that leads out of the package; it was not followed. Find out what it points to before approving.`, work.namedAt ?? { file: path, line: 1, column: 1, snippet: '' }, path)
    return
  }
  if (run.done.has(`file:${file.path}`)) return
  run.done.add(`file:${file.path}`)
  run.options.onFile?.(file.path)
  if (file.kind === 'too-large') {
    run.sink.add('static-skipped', 'note', `${file.path} is ${Math.round(file.size / 1024)} KiB, over the ${Math.round(run.maxFileBytes / 1024)} KiB limit, so it was not analysed; a bundle that large in an install script deserves a look of its own.`, { file: file.path, line: 1, column: 1, snippet: '' }, 'too large')
    return
  }
  if (++run.files > run.maxFiles) {
    if (run.files === run.maxFiles + 1) run.sink.add('static-skipped', 'note', `The install scripts reach more than ${run.maxFiles} files; the rest (from ${file.path} on) were not analysed.`, { file: file.path, line: 1, column: 1, snippet: '' }, 'file limit')
    return
  }
  if (kind === 'js' && !file.path.endsWith('.json')) {
    const { targets } = scanSource(file.text, file.path, { rules: run.rules, sink: run.sink })
    if (work.depth < run.maxDepth) enqueue(run, targets, work.depth + 1, undefined)
  } else if (kind === 'shell' || kind === 'text') {
    enqueue(run, scanShellText(file.text, file.path, kind === 'shell', run.rules, run.sink), work.depth + 1, undefined)
  }
}

const reviewGyp = async (run: Run, dir: string): Promise<void> => {
  const where = dir === '' ? '' : packagePath(dir, '')
  if (where === undefined || run.done.has(`gyp:${where}`)) return
  run.done.add(`gyp:${where}`)
  const file = await readPackageFile(run.dir, where === '' ? 'binding.gyp' : `${where}/binding.gyp`, false, run.maxFileBytes)
  if (file.kind === 'read' || file.kind === 'too-large') run.options.onFile?.(file.path)
  if (file.kind !== 'read') return
  enqueue(run, scanBindingGyp(file.text, file.path, run.rules, run.sink), 0, undefined)
}

const drain = async (run: Run): Promise<void> => {
  for (let work = run.queue.shift(); work !== undefined; work = run.queue.shift()) {
    const { target } = work
    switch (target.kind) {
      case 'gyp':
        await reviewGyp(run, target.dir)
        break
      case 'npm-script': {
        const command = run.scripts[target.name]
        if (typeof command === 'string' && !run.done.has(`script:${target.name}`) && work.depth < run.maxDepth) {
          run.done.add(`script:${target.name}`)
          run.options.onScript?.(target.name, command)
          reviewScript(run, target.name, command, work.depth + 1)
        }
        break
      }
      case 'inline':
        break
      case 'js':
      case 'shell':
      case 'text':
        await reviewFile(run, work, target.path)
    }
  }
}

const readManifest = async (dir: PackageRoot, sink: FindingCollector): Promise<{ text: string; scripts: Record<string, unknown> }> => {
  let text = ''
  try {
    const file = await readPackageFile(dir, 'package.json', false, MAX_MANIFEST)
    if (file.kind !== 'read') throw new Error(file.kind)
    text = file.text
    const manifest = JSON.parse(text) as unknown
    const scripts = typeof manifest === 'object' && manifest !== null ? (manifest as { scripts?: unknown }).scripts : undefined
    return { text, scripts: typeof scripts === 'object' && scripts !== null ? scripts as Record<string, unknown> : {} }
  } catch (error) {
    const why = error instanceof SyntaxError ? 'it is not valid JSON' : 'it cannot be read'
    sink.add('static-unparsed', 'note', `package.json was not reviewed: ${why}; npm will not install the package as it is.`, { file: 'package.json', line: 1, column: 1, snippet: '' })
    return { text, scripts: {} }
  }
}

/**
 * Review what a package would run at install time, statically and offline (a folder, or the files
 * of a tarball held in memory): its preinstall,
 * install and postinstall scripts (npm's implicit `node-gyp rebuild` too), the files they run and
 * require (bounded by `maxFiles`, `maxFileBytes` and `maxDepth`), and binding.gyp whenever there is
 * one (gyp runs its command expansions even when no script does). Nothing is executed and nothing
 * is fetched; a file that cannot be read or parsed becomes a note, never an exception.
 */
export const analysePackage = async (dir: PackageRoot, options: PackageAnalysisOptions = {}): Promise<StaticFinding[]> => {
  const sink = new FindingCollector()
  const manifest = await readManifest(dir, sink)
  const run: Run = {
    dir, options, rules: options.rules ?? loadStaticRules(), sink, scripts: manifest.scripts, manifest: manifest.text, queue: [], done: new Set(),
    maxFiles: options.maxFiles ?? 50, maxFileBytes: options.maxFileBytes ?? 2 * 1024 * 1024, maxDepth: options.maxDepth ?? 4, files: 0,
  }
  for (const hook of INSTALL_HOOKS) {
    const command = manifest.scripts[hook]
    if (typeof command !== 'string' || command.trim() === '') continue
    run.done.add(`script:${hook}`)
    options.onScript?.(hook, command)
    reviewScript(run, hook, command, 0)
    await drain(run)
  }
  if (typeof dir === 'string' ? existsSync(join(dir, 'binding.gyp')) : dir.has('binding.gyp')) {
    run.queue.push({ target: { kind: 'gyp', dir: '' }, depth: 0, namedAt: undefined })
    await drain(run)
  }
  return sink.list()
}

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { configList, loadNpmConfig } from '../config/npm-config.js'
import { SafeInstallError } from '../errors.js'
import { readAllowScripts } from '../policy/allow-scripts.js'
import { buildReport } from '../report/build-report.js'
import type { Finding, IsolationInfo, Report, ReportPackage } from '../types.js'
import { auditLockfile } from './checks.js'
import type { CachedCopies } from './cached.js'
import { entryId, findInstalled, withInstalledScripts, type InstalledPackage } from './installed.js'
import { defaultIndexPath } from './malware-db/default-path.js'
import { loadDatabase } from './malware-db/index.js'
import { detectLockfile, LOCKFILE_NAMES, parseLockfile, type LockEntry, type Lockfile } from './lockfile/index.js'

/**
 * `safe-install audit`: read a lockfile, npm's configuration (registries, allow-scripts) and the
 * project's allowScripts, and check every entry. Offline by construction: nothing here fetches,
 * nothing runs package code, and the install pipeline (Arborist, the sandbox) is never loaded.
 */

export interface AuditOptions {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  readonly version: string
  /** `--lockfile`; else the one npm/yarn/pnpm/bun would use in cwd. */
  readonly lockfile?: string
  readonly allowedHosts: readonly string[]
  /** `--malware-db`: an index or OSV records; else the imported index when there is one. */
  readonly malwareDb?: string
  /** Read tarballs from npm's cache for packages node_modules lacks (default true; `--no-npm-cache`). */
  readonly npmCache?: boolean
}

/** Where the audit learnt which entries have install scripts, and how many it could not tell. */
export interface ScriptCoverage {
  /** The lockfile records it (npm v2/v3 `hasInstallScript`, pnpm v6 `requiresBuild`). */
  readonly recorded: number
  /** From the installed copy in node_modules / from the verified tarball in npm's cache. */
  readonly installed: number
  readonly cached: number
  /** Neither: these entries' install scripts were not reviewed. */
  readonly unknown: number
  /** Entries with install-time code whose content was analysed, and those it could not be. */
  readonly analysed: number
  readonly notAnalysed: number
  /** Cached tarballs that were found but rejected (integrity mismatch, too large, unreadable). */
  readonly cacheProblems: ReadonlyArray<{ readonly entry: string; readonly reason: string }>
}

export interface AuditResult {
  readonly report: Report
  /** The project directory (the lockfile's) and the lockfile as SARIF and annotations name it. */
  readonly projectDir: string
  readonly lockfilePath: string
  /** The malicious-package database used, or why none was. */
  readonly malware: { readonly file: string; readonly count: number; readonly builtAt: string } | { readonly missing: string }
  readonly coverage: ScriptCoverage
}

/** Audit runs no code: the report says so, and claims no sandbox. */
const NOT_NEEDED: IsolationInfo = { backend: 'none', network: 'proxy-env', filesystem: 'decoy-home', pid: 'process-group', tracer: 'none' }

export const runAudit = async (options: AuditOptions): Promise<AuditResult> => {
  const startedAt = Date.now()
  const file = options.lockfile === undefined ? detectLockfile(options.cwd) : resolve(options.cwd, options.lockfile)
  if (file === undefined) {
    throw new SafeInstallError('ELOCKFILE', `no lockfile in ${options.cwd} (looked for ${LOCKFILE_NAMES.join(', ')})`,
      'run safe-install audit in the project directory, or pass --lockfile <file>')
  }
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new SafeInstallError('ELOCKFILE', `cannot read ${file}: ${error.code ?? error.message}`, 'check the path given to --lockfile')
  })
  const projectDir = dirname(file)
  const lockfilePath = relative(options.cwd, file).split('\\').join('/') || basename(file)
  const parsed = await parseLockfile(lockfilePath, text)
  const installedCopies = await findInstalled(parsed, projectDir)
  const config = await loadNpmConfig({ cwd: projectDir, env: options.env, execPath: options.execPath, npmArgs: [] })
  const cache = await cachedCopies(parsed, installedCopies, config.flat, options.npmCache ?? true)
  const installed = cache === undefined ? installedCopies : new Map([...installedCopies, ...cache.copies])
  const lock = withInstalledScripts(parsed, installed)
  const allowScripts = await readAllowScripts(projectDir, configList(config.get('allow-scripts')))
  const dbFile = options.malwareDb === undefined ? defaultIndexPath(options.env) : resolve(options.cwd, options.malwareDb)
  const malware = options.malwareDb !== undefined || existsSync(dbFile) ? await loadDatabase(dbFile) : undefined
  const findings: Finding[] = auditLockfile(lock, {
    lockfilePath, projectDir, registries: registriesOf(config.flat), allowedHosts: options.allowedHosts, allowScripts, malware,
  })
  findings.push(...await staticFindings(lock, installed, options.cwd, lockfilePath))
  const report = buildReport({
    version: options.version, command: 'audit', mode: 'report', startedAt, finishedAt: Date.now(), isolation: NOT_NEEDED,
    packageCount: lock.entries.length, runs: [], egress: [], findings,
  })
  return {
    report: { ...report, packages: scriptPackages(lock, findings) }, projectDir, lockfilePath,
    malware: malware === undefined ? { missing: dbFile } : { file: dbFile, count: malware.count, builtAt: malware.builtAt },
    coverage: coverageOf(parsed, installedCopies, cache),
  }
}

/** Tarballs in npm's cache, for what node_modules does not hold; loaded only when something is missing. */
const cachedCopies = async (
  lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, flat: Readonly<Record<string, unknown>>, enabled: boolean,
): Promise<CachedCopies | undefined> => {
  const dir = typeof flat['cache'] === 'string' && flat['cache'] !== '' ? flat['cache'] : undefined
  if (!enabled || dir === undefined || !existsSync(dir)) return undefined
  if (lock.entries.every((entry) => installed.has(entryId(entry)) || entry.hasInstallScript === false)) return undefined
  const { readCachedCopies } = await import('./cached.js')
  return readCachedCopies(lock, installed, dir)
}

/** Links and workspaces are the project's own folders, not packages from anywhere: not counted as unknown. */
const THIRD_PARTY = (entry: LockEntry): boolean => entry.source !== 'workspace' && entry.source !== 'link' && entry.inBundle !== true

const coverageOf = (lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, cache: CachedCopies | undefined): ScriptCoverage => {
  let recorded = 0, fromInstalled = 0, cached = 0, unknown = 0, analysed = 0, notAnalysed = 0
  for (const entry of lock.entries.filter(THIRD_PARTY)) {
    const id = entryId(entry)
    const copy = installed.get(id) ?? cache?.copies.get(id)
    if (entry.hasInstallScript !== undefined) recorded += 1
    else if (installed.has(id)) fromInstalled += 1
    else if (copy !== undefined) cached += 1
    else unknown += 1
    const scripts = entry.hasInstallScript ?? (copy === undefined ? false : Object.keys(copy.scripts).length > 0)
    if (scripts && copy !== undefined) analysed += 1
    else if (scripts) notAnalysed += 1
  }
  const cacheProblems = (cache?.problems ?? []).map(({ entry, reason }) => ({ entry: `${entry.realName ?? entry.name}@${entry.version ?? '?'}`, reason }))
  return { recorded, installed: fromInstalled, cached, unknown, analysed, notAnalysed, cacheProblems }
}

/** npm's `registry` and every `@scope:registry`, as npm's flat options carry them. */
const registriesOf = (flat: Readonly<Record<string, unknown>>): string[] =>
  Object.entries(flat).filter(([key, value]) => (key === 'registry' || /^@[^:]+:registry$/.test(key)) && typeof value === 'string')
    .map(([, value]) => value as string)

/** The report's packages: those with install-time code, with the approval the audit found. */
const scriptPackages = (lock: Lockfile, findings: readonly Finding[]): ReportPackage[] => {
  const approvals = new Map(findings.filter((f) => f.rule === 'install-script').map((f) => [f.package.location, f.evidence['approval']]))
  return lock.entries.filter((entry) => entry.hasInstallScript === true).map((entry) => {
    const approval = approvals.get(entry.location ?? entry.key)
    return {
      name: entry.realName ?? entry.name,
      version: entry.version ?? '',
      location: entry.location ?? entry.key,
      approval: approval === 'approved' || approval === 'denied' ? approval : 'unreviewed',
      scripts: [],
    }
  })
}

/**
 * What the install scripts of installed packages contain (node_modules present): each package
 * with install-time code is analysed as files, never run (src/audit/static). The file is named
 * relative to where audit ran, so SARIF and annotations point at it.
 */
const staticFindings = async (
  lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, cwd: string, lockfilePath: string,
): Promise<Finding[]> => {
  const withScripts = lock.entries.filter((entry) => entry.hasInstallScript === true && entry.inBundle !== true && installed.has(entryId(entry)))
  if (withScripts.length === 0) return []
  const { analysePackage, loadStaticRules } = await import('./static/index.js')
  const rules = loadStaticRules()
  const found: Finding[] = []
  for (const entry of withScripts) {
    const copy = installed.get(entryId(entry))
    // A cached tarball without install scripts keeps no files (and has no folder): nothing to read.
    if (copy === undefined || (copy.files === undefined && copy.dir === '')) continue
    const pkg = { name: entry.realName ?? entry.name, version: entry.version ?? '', location: entry.location ?? entry.key }
    for (const f of await analysePackage(copy.files ?? copy.dir, { rules })) {
      // A cached copy has no file on disk to point at: the finding points at the lockfile entry,
      // and names the file and line inside the tarball.
      found.push(copy.files !== undefined
        ? {
          rule: f.rule, severity: f.severity, package: pkg, action: 'reported',
          message: `${f.message} (${f.evidence.file}:${f.evidence.line} in the tarball from npm's cache)`,
          evidence: { ...f.evidence, file: lockfilePath, line: entry.line, column: entry.column, source: 'npm-cache', packageFile: f.evidence.file, packageLine: f.evidence.line },
        }
        : {
          rule: f.rule, severity: f.severity, package: pkg, action: 'reported', message: f.message,
          evidence: { ...f.evidence, file: relative(cwd, join(copy.dir, f.evidence.file)).split('\\').join('/') },
        })
    }
  }
  return found
}


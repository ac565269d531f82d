import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { configList, loadNpmConfig } from '../config/npm-config.js'
import { SafeInstallError } from '../errors.js'
import { readAllowScripts } from '../policy/allow-scripts.js'
import { buildReport } from '../report/build-report.js'
import type { Finding, IsolationInfo, Report, ReportPackage } from '../types.js'
import { auditLockfile } from './checks.js'
import { entryId, findInstalled, withInstalledScripts, type InstalledPackage } from './installed.js'
import { defaultIndexPath } from './malware-db/default-path.js'
import { loadDatabase } from './malware-db/index.js'
import { detectLockfile, LOCKFILE_NAMES, parseLockfile, type Lockfile } from './lockfile/index.js'

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
}

export interface AuditResult {
  readonly report: Report
  /** The project directory (the lockfile's) and the lockfile as SARIF and annotations name it. */
  readonly projectDir: string
  readonly lockfilePath: string
  /** The malicious-package database used, or why none was. */
  readonly malware: { readonly file: string; readonly count: number; readonly builtAt: string } | { readonly missing: string }
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
  const installed = await findInstalled(parsed, projectDir)
  const lock = withInstalledScripts(parsed, installed)
  const config = await loadNpmConfig({ cwd: projectDir, env: options.env, execPath: options.execPath, npmArgs: [] })
  const allowScripts = await readAllowScripts(projectDir, configList(config.get('allow-scripts')))
  const dbFile = options.malwareDb === undefined ? defaultIndexPath(options.env) : resolve(options.cwd, options.malwareDb)
  const malware = options.malwareDb !== undefined || existsSync(dbFile) ? await loadDatabase(dbFile) : undefined
  const findings: Finding[] = auditLockfile(lock, {
    lockfilePath, projectDir, registries: registriesOf(config.flat), allowedHosts: options.allowedHosts, allowScripts, malware,
  })
  findings.push(...await staticFindings(lock, installed, options.cwd))
  const report = buildReport({
    version: options.version, command: 'audit', mode: 'report', startedAt, finishedAt: Date.now(), isolation: NOT_NEEDED,
    packageCount: lock.entries.length, runs: [], egress: [], findings,
  })
  return {
    report: { ...report, packages: scriptPackages(lock, findings) }, projectDir, lockfilePath,
    malware: malware === undefined ? { missing: dbFile } : { file: dbFile, count: malware.count, builtAt: malware.builtAt },
  }
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
const staticFindings = async (lock: Lockfile, installed: ReadonlyMap<string, InstalledPackage>, cwd: string): Promise<Finding[]> => {
  const withScripts = lock.entries.filter((entry) => entry.hasInstallScript === true && entry.inBundle !== true && installed.has(entryId(entry)))
  if (withScripts.length === 0) return []
  const { analysePackage, loadStaticRules } = await import('./static/index.js')
  const rules = loadStaticRules()
  const found: Finding[] = []
  for (const entry of withScripts) {
    const copy = installed.get(entryId(entry))
    if (copy === undefined) continue
    const pkg = { name: entry.realName ?? entry.name, version: entry.version ?? '', location: entry.location ?? entry.key }
    for (const f of await analysePackage(copy.dir, { rules })) {
      found.push({
        rule: f.rule, severity: f.severity, package: pkg, action: 'reported', message: f.message,
        evidence: { ...f.evidence, file: relative(cwd, join(copy.dir, f.evidence.file)).split('\\').join('/') },
      })
    }
  }
  return found
}


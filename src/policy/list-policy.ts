import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configList, loadNpmConfig } from '../config/npm-config.js'
import { SafeInstallError } from '../errors.js'
import { validateReport } from '../report/validate-report.js'
import { loadInstalledPackages } from '../resolve/arborist-installed.js'
import type { Report } from '../types.js'
import { readAllowEntries, readAllowScripts } from './allow-scripts.js'
import { loadPolicy } from './load-policy.js'
import { lastReportPath } from './last-report.js'
import { parsePackageJsonText } from './package-json-text.js'
import { checkPins, type PinVerdict } from './pin-check.js'

/**
 * `safe-install policy ls`: every installed dependency with install-time code, for the whole
 * workspace tree (npm's own `install-scripts ls` is per project): its approval and the allowScripts
 * entries that decide it, the commands, the state of its content pin, and what its scripts did on
 * the last safe-install run (the report saved in node_modules/.cache/safe-install, or `--report`).
 * Offline and read-only: nothing is fetched, run or written.
 */

export interface LastRun {
  readonly scripts: ReadonlyArray<{ readonly event: string; readonly outcome: string; readonly durationMs: number }>
  /** Hosts its hooks asked the egress proxy for, with the decision. */
  readonly egress: ReadonlyArray<{ readonly host: string; readonly port: number; readonly decision: string }>
  readonly findings: ReadonlyArray<{ readonly rule: string; readonly severity: string; readonly message: string }>
}

export interface ListedPackage {
  readonly name: string
  readonly version: string
  readonly location: string
  readonly approval: 'approved' | 'denied' | 'unreviewed'
  /** The allowScripts entries that match it (npm's matcher, versions included). */
  readonly entries: readonly string[]
  readonly scripts: Readonly<Record<string, string>>
  /** Workspaces whose dependencies lead to it (`.` is the root project). */
  readonly requiredBy: readonly string[]
  readonly pin: PinVerdict['kind']
  readonly pinKey?: string
  readonly changes?: readonly string[]
  readonly lastRun?: LastRun
}

export interface PolicyListing {
  readonly prefix: string
  readonly tree: 'node_modules' | 'lockfile' | 'none'
  readonly policySource: string
  readonly report: { readonly file: string; readonly command: string; readonly startedAt: string } | undefined
  readonly packages: readonly ListedPackage[]
}

const readReport = async (file: string, explicit: boolean): Promise<Report | undefined> => {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SafeInstallError('EUSAGE', `cannot read the report ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the --report path')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SafeInstallError('EUSAGE', `${file}: not a JSON report`, 'pass a file written by safe-install --report')
  }
  const valid = validateReport(value)
  if (valid.kind !== 'valid') {
    if (!explicit) return undefined
    throw new SafeInstallError('EUSAGE', `${file}: not a safe-install report (${valid.errors[0] ?? 'invalid'})`, 'pass a file written by safe-install --report')
  }
  return value as Report
}

const lastRunOf = (report: Report, pkg: { name: string; version: string; location: string }): LastRun | undefined => {
  const entry = report.packages.find((p) => p.location === pkg.location && p.name === pkg.name && p.version === pkg.version)
    ?? report.packages.find((p) => p.name === pkg.name && p.version === pkg.version)
  if (entry === undefined) return undefined
  return {
    scripts: entry.scripts.map((s) => ({ event: s.event, outcome: s.outcome, durationMs: s.durationMs })),
    egress: report.egress.filter((e) => e.package.name === pkg.name && e.package.version === pkg.version)
      .map((e) => ({ host: e.host, port: e.port, decision: e.decision })),
    findings: report.findings.filter((f) => f.package.name === pkg.name && f.package.version === pkg.version)
      .map((f) => ({ rule: f.rule, severity: f.severity, message: f.message })),
  }
}

export const listPolicy = async (options: {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  readonly policyFile?: string
  readonly reportFile?: string
}): Promise<PolicyListing> => {
  const config = await loadNpmConfig({ cwd: options.cwd, env: options.env, execPath: options.execPath, npmArgs: [] })
  const prefix = config.prefix
  const manifest = join(prefix, 'package.json')
  const text = await readFile(manifest, 'utf8').catch(() => {
    throw new SafeInstallError('EUSAGE', `no package.json in ${prefix}`, 'run safe-install policy ls in your project')
  })
  const keys = readAllowEntries(parsePackageJsonText(manifest, text)).map(([key]) => key)
  const allow = await readAllowScripts(prefix, configList(config.get('allow-scripts')))
  const policy = await loadPolicy({ prefix, ...(options.policyFile === undefined ? {} : { explicit: options.policyFile }) })
  const tree = await loadInstalledPackages({ path: prefix, flat: config.flat, policy: allow.entries, keys })
  const reportFile = options.reportFile ?? lastReportPath(prefix)
  const report = await readReport(reportFile, options.reportFile !== undefined)
  const packages: ListedPackage[] = []
  for (const pkg of tree.packages) {
    if (!pkg.hasScripts || pkg.approval === null) continue
    const name = pkg.displayName ?? pkg.location
    const version = pkg.displayVersion ?? ''
    const verdict: PinVerdict = tree.source === 'node_modules'
      ? await checkPins(policy, { name, version }, pkg.path)
      : { kind: 'unpinned' }
    const lastRun = report === undefined ? undefined : lastRunOf(report, { name, version, location: pkg.location })
    packages.push({
      name, version, location: pkg.location, approval: pkg.approval, entries: pkg.matchedBy, scripts: pkg.scripts, requiredBy: pkg.requiredBy,
      pin: verdict.kind,
      ...(verdict.kind === 'unpinned' ? {} : { pinKey: verdict.key }),
      ...(verdict.kind === 'changed' ? { changes: verdict.lines } : {}),
      ...(lastRun === undefined ? {} : { lastRun }),
    })
  }
  return {
    prefix, tree: tree.source, policySource: policy.source, packages,
    report: report === undefined ? undefined : { file: reportFile, command: report.command, startedAt: report.startedAt },
  }
}

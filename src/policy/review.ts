import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { SafeInstallError } from '../errors.js'
import type { PipelineOptions, PipelineResult } from '../pipeline.js'
import type { EgressEvent, Finding, Report } from '../types.js'
import { listPolicy, type ListedPackage } from './list-policy.js'

/**
 * `safe-install policy review [<pkg>...]`: run the install scripts nobody has reviewed yet (or
 * whose pinned code changed) in a disposable copy of the project, in the strictest sandbox: the
 * namespace sandbox required, no grants at all (the `strict` preset: no network but the
 * proxy's refusals, nothing written outside the copy), and the copy deleted afterwards. What each
 * package tried — files it read or wrote outside its folder, programs it started, connections and
 * DNS names it asked for, every finding — is returned for the person (or the flags) to decide.
 */

export interface ReviewedPackage {
  readonly name: string
  readonly version: string
  readonly why: 'unreviewed' | 'changed' | 'asked'
  readonly scripts: ReadonlyArray<{ readonly event: string; readonly command: string; readonly outcome: string; readonly exitCode: number | null; readonly durationMs: number }>
  readonly egress: ReadonlyArray<{ readonly protocol: string; readonly host: string; readonly port: number; readonly decision: string }>
  readonly findings: readonly Finding[]
  /** No error or warning finding, and every script finished ok. */
  readonly clean: boolean
}

export interface ReviewResult {
  readonly prefix: string
  readonly isolation: Report['isolation'] | undefined
  readonly packages: readonly ReviewedPackage[]
  /** The report of the review run (for `policy learn --from-report`, or to keep); none when nothing was pending. */
  readonly report: Report | undefined
}

export interface ReviewOptions {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  readonly packages: readonly string[]
  /** Runs the pipeline (main.ts passes its own, with the run control and our binary). */
  readonly run: (options: Pick<PipelineOptions, 'command' | 'cwd' | 'specs' | 'mode' | 'unreviewed' | 'policyFile' | 'requireIsolation' | 'initCwd'>) => Promise<PipelineResult>
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..')
}

export const runReview = async (options: ReviewOptions): Promise<ReviewResult> => {
  const listing = await listPolicy({ cwd: options.cwd, env: options.env, execPath: options.execPath })
  if (listing.tree !== 'node_modules') {
    throw new SafeInstallError('EUSAGE', `nothing is installed in ${listing.prefix}: review runs the scripts of installed packages`,
      'install first without running scripts (safe-install install --unreviewed skip), then run safe-install policy review')
  }
  const asked = new Set(options.packages.map((spec) => spec.replace(/(.)@.*$/, '$1')))
  const unknown = [...asked].filter((name) => !listing.packages.some((p) => p.name === name))
  if (unknown.length > 0) {
    throw new SafeInstallError('EUSAGE', `not installed or without install scripts: ${unknown.join(', ')}`, 'safe-install policy ls shows the packages with install scripts')
  }
  const pending = listing.packages.filter((p) => (asked.size > 0 ? asked.has(p.name) : p.approval === 'unreviewed' || p.pin === 'changed'))
  if (pending.length === 0) {
    return { prefix: listing.prefix, isolation: undefined, packages: [], report: undefined }
  }
  const work = await mkdtemp(join(tmpdir(), 'safe-install-review-'))
  try {
    const copy = join(work, 'project')
    // The copy is what the scripts may touch; .git and our own caches stay behind.
    await cp(listing.prefix, copy, {
      recursive: true, verbatimSymlinks: true,
      filter: (source) => !/(^|[/\\])\.git$/.test(source) && !inside(join(listing.prefix, 'node_modules', '.cache', 'safe-install'), source),
    })
    const policyFile = join(work, 'review.policy.json')
    await writeFile(policyFile, `${JSON.stringify({ extends: 'strict', unreviewed: 'sandbox' })}\n`)
    // One rebuild per package: npm stops a rebuild at the first failing script, which would hide
    // what the others do.
    const reports: Report[] = []
    for (const name of [...new Set(pending.map((p) => p.name))]) {
      const result = await options.run({
        command: 'rebuild', cwd: copy, specs: [name], mode: 'enforce', unreviewed: 'sandbox', policyFile, requireIsolation: true, initCwd: copy,
      })
      reports.push(result.report)
    }
    const report = combine(reports)
    return { prefix: listing.prefix, isolation: report.isolation, packages: pending.map((p) => describe(p, report)), report }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The per-package runs as one report: the first run's header, everything they saw, summed counts. */
const combine = (reports: readonly Report[]): Report => {
  const first = reports[0] as Report
  const findings = reports.flatMap((r) => r.findings)
  const count = (severity: string): number => findings.filter((f) => f.severity === severity).length
  return {
    ...first,
    durationMs: reports.reduce((sum, r) => sum + r.durationMs, 0),
    packages: reports.flatMap((r) => r.packages),
    egress: reports.flatMap((r) => r.egress),
    findings,
    summary: {
      packages: first.summary.packages,
      scriptsRun: reports.reduce((sum, r) => sum + r.summary.scriptsRun, 0),
      findings: { error: count('error'), warning: count('warning'), note: count('note') },
    },
  }
}

const describe = (pkg: ListedPackage, report: Report): ReviewedPackage => {
  const same = (x: { name: string; version: string }): boolean => x.name === pkg.name && x.version === pkg.version
  const entry = report.packages.find(same)
  const scripts = (entry?.scripts ?? []).map((s) => ({ event: s.event, command: s.command, outcome: s.outcome, exitCode: s.exitCode, durationMs: s.durationMs }))
  const egress = report.egress.filter((e: EgressEvent) => same(e.package)).map((e) => ({ protocol: e.protocol, host: e.host, port: e.port, decision: e.decision }))
  const findings = report.findings.filter((f) => same(f.package))
  return {
    name: pkg.name, version: pkg.version,
    why: pkg.pin === 'changed' ? 'changed' : pkg.approval === 'unreviewed' ? 'unreviewed' : 'asked',
    scripts, egress, findings,
    clean: scripts.length > 0 && scripts.every((s) => s.outcome === 'ok') && findings.every((f) => f.severity === 'note'),
  }
}

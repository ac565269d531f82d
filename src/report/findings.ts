import { approveCommand } from '../policy/decide.js'
import type { Finding, ResourceLimit, ScriptRun } from '../types.js'
import { isIgnoredRun } from './ignored-scripts.js'

const ref = (run: ScriptRun): Finding['package'] => ({
  name: run.pkg.name,
  version: run.pkg.version,
  location: run.pkg.location,
})

const label = (run: ScriptRun): string => `${run.outcome.event} of ${run.pkg.name}${run.pkg.version === '' ? '' : `@${run.pkg.version}`}`

/** Turn what happened to each hook into findings (rule ids of DESIGN.md). Pure. */
export const findingsFromRuns = (runs: readonly ScriptRun[]): Finding[] => {
  const findings: Finding[] = []
  for (const run of runs) {
    if (isIgnoredRun(run)) continue
    const { outcome, pkg } = run
    const base = { package: ref(run), event: outcome.event }
    const evidence = { command: outcome.command }
    if (pkg.inBundle && outcome.outcome === 'blocked') {
      findings.push({
        ...base, rule: 'unreviewed-script', severity: 'note', action: 'blocked',
        message: `${label(run)} was not run: it is a bundled dependency, and npm never runs bundled dependencies' install scripts (the package that bundles it must run them from its own scripts).`,
        evidence,
      })
    } else if (outcome.outcome === 'skipped' && pkg.approval === 'unreviewed') {
      findings.push({
        ...base, rule: 'unreviewed-script', severity: 'warning', action: 'blocked',
        message: `${label(run)} was not run: it has no allowScripts entry; review it, then approve it if the package needs it.`,
        evidence: { ...evidence, fix: approveCommand(pkg) },
      })
    } else if (outcome.outcome === 'blocked' && pkg.approval === 'unreviewed') {
      findings.push({
        ...base, rule: 'unreviewed-script', severity: 'error', action: 'blocked',
        message: `${label(run)} is not reviewed and --unreviewed fail is set; approve or deny it before installing.`,
        evidence: { ...evidence, fix: approveCommand(pkg) },
      })
    } else if (pkg.approval === 'unreviewed' && !pkg.isRoot && pkg.source !== 'workspace' && outcome.outcome !== 'skipped' && outcome.outcome !== 'blocked') {
      findings.push({
        ...base, rule: 'unreviewed-script', severity: 'note', action: 'reported',
        message: `${label(run)} is not reviewed and ran in the sandbox (--unreviewed sandbox).`,
        evidence: { ...evidence, fix: approveCommand(pkg) },
      })
    }
    if (outcome.outcome === 'timeout') {
      findings.push({
        ...base, rule: 'script-timeout', severity: pkg.optional ? 'warning' : 'error', action: 'blocked',
        message: `${label(run)} ran longer than its time limit and was killed with all its child processes${pkg.optional ? '; the optional dependency was removed' : ''}.`,
        evidence: { ...evidence, durationMs: outcome.durationMs, fix: `raise "timeoutSec" for ${pkg.name} in safe-install.policy.json if it legitimately needs longer` },
      })
    } else if (outcome.outcome === 'failed') {
      const limit = outcome.limit === undefined ? undefined : limitText(outcome.limit)
      findings.push({
        ...base, rule: 'script-failed', severity: pkg.optional ? 'warning' : 'error', action: limit === undefined ? 'reported' : 'blocked',
        message: limit !== undefined
          ? `${label(run)} ran into ${limit} and was killed with every process it started${pkg.optional ? '; the optional dependency was removed' : ''}.`
          : pkg.optional
          ? `${label(run)} failed (exit ${String(outcome.exitCode)}); the optional dependency was removed and the install went on.`
          : `${label(run)} failed (exit ${String(outcome.exitCode)}); see its output below.`,
        evidence: {
          ...evidence, exitCode: outcome.exitCode,
          ...(outcome.limit === undefined ? {} : { limit: { ...outcome.limit } }),
          ...(outcome.output === undefined ? {} : { output: outcome.output.slice(-4000) }),
        },
      })
    }
    if (outcome.escaped !== undefined && outcome.escaped.length > 0) {
      findings.push({
        ...base, rule: 'escaped-process', severity: 'error', action: 'blocked',
        message: `${label(run)} left ${outcome.escaped.length} process(es) running after it ended; they were killed.`,
        evidence: { ...evidence, processes: outcome.escaped.map((p) => ({ pid: p.pid, command: p.command })) },
      })
    }
    findings.push(...(outcome.traced ?? []))
  }
  return findings
}

const limitText = (limit: ResourceLimit): string =>
  limit.kind === 'pids'
    ? `the sandbox's limit of ${limit.max} processes at once (a fork flood)`
    : `the sandbox's file-size limit (${Math.round(limit.max / 1024 ** 2)} MiB per file; SIGXFSZ)`

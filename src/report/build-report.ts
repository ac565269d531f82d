import type { CommandName, EgressEvent, Finding, IsolationInfo, Mode, Report, ReportPackage, ScriptRun } from '../types.js'

export interface ReportInput {
  readonly version: string
  readonly command: CommandName
  readonly mode: Mode
  readonly startedAt: number
  readonly finishedAt: number
  readonly isolation: IsolationInfo
  readonly packageCount: number
  readonly runs: readonly ScriptRun[]
  readonly egress: readonly EgressEvent[]
  readonly findings: readonly Finding[]
}

const RAN = new Set(['ok', 'failed', 'timeout'])

/** Assemble the schemaVersion 1 report: packages in install order of their first hook. Pure. */
export const buildReport = (input: ReportInput): Report => {
  const byLocation = new Map<string, { pkg: ScriptRun['pkg']; scripts: ReportPackage['scripts'][number][] }>()
  for (const run of [...input.runs].sort((a, b) => a.startedAt - b.startedAt)) {
    const entry = byLocation.get(run.pkg.location) ?? { pkg: run.pkg, scripts: [] }
    entry.scripts.push({
      event: run.outcome.event,
      command: run.outcome.command,
      outcome: run.outcome.outcome,
      exitCode: run.outcome.exitCode,
      durationMs: run.outcome.durationMs,
    })
    byLocation.set(run.pkg.location, entry)
  }
  const count = { error: 0, warning: 0, note: 0 }
  for (const finding of input.findings) count[finding.severity] += 1
  return {
    schemaVersion: 1,
    tool: { name: 'safe-install', version: input.version },
    command: input.command,
    mode: input.mode,
    startedAt: new Date(input.startedAt).toISOString(),
    durationMs: Math.max(0, Math.round(input.finishedAt - input.startedAt)),
    isolation: input.isolation,
    packages: [...byLocation.values()].map(({ pkg, scripts }) => ({
      name: pkg.name,
      version: pkg.version,
      location: pkg.location,
      approval: pkg.approval,
      scripts,
    })),
    egress: input.egress,
    findings: input.findings,
    summary: {
      packages: input.packageCount,
      scriptsRun: input.runs.filter((run) => RAN.has(run.outcome.outcome)).length,
      findings: count,
    },
  }
}

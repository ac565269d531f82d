import { describe, expect, it } from 'vitest'
import { buildReport } from '../../../src/report/build-report.js'
import { findingsFromRuns } from '../../../src/report/findings.js'
import { ignoredRun, IGNORE_SCRIPTS_REASON } from '../../../src/report/ignored-scripts.js'
import { renderText } from '../../../src/report/text.js'
import type { PackageRecord, ScriptRun } from '../../../src/types.js'

const pkg = (name: string, approval: PackageRecord['approval']): PackageRecord => ({
  name, version: '1.0.0', location: `node_modules/${name}`, path: `/app/node_modules/${name}`,
  resolved: `https://registry.example.test/${name}/-/${name}-1.0.0.tgz`, source: 'registry', isRoot: false,
  inBundle: false, optional: false, dev: false, approval, approvedBy: approval === 'approved' ? name : null,
})

describe('hooks that --ignore-scripts kept from running', () => {
  const ignored = [
    ignoredRun({ pkg: pkg('esbuild', 'approved'), event: 'postinstall', command: 'node install.js' }, 1),
    ignoredRun({ pkg: pkg('tracker', 'unreviewed'), event: 'install', command: 'node-gyp rebuild' }, 2),
  ]

  it('are skipped runs with the reason, taking no time', () => {
    expect(ignored[0]?.outcome).toEqual({ event: 'postinstall', command: 'node install.js', outcome: 'skipped', exitCode: null, durationMs: 0, reason: IGNORE_SCRIPTS_REASON })
  })

  it('make no finding, not even unreviewed-script for an unreviewed package (the user chose not to run scripts)', () => {
    expect(findingsFromRuns(ignored)).toEqual([])
    const notReviewed: ScriptRun = { ...ignored[1]!, outcome: { ...ignored[1]!.outcome, reason: 'not reviewed: no allowScripts entry' } }
    expect(findingsFromRuns([notReviewed]).map((f) => `${f.rule} ${f.severity}`)).toEqual(['unreviewed-script warning'])
  })

  it('are listed in the text report as skipped, instead of "No install scripts."', () => {
    const report = buildReport({
      version: '0.0.0', command: 'ci', mode: 'enforce', startedAt: 0, finishedAt: 5, packageCount: 2, runs: ignored, egress: [], findings: findingsFromRuns(ignored),
      isolation: { backend: 'bwrap', network: 'namespace', filesystem: 'namespace', pid: 'namespace', tracer: 'strace' },
    })
    expect(report.packages.map((p) => `${p.name} ${p.scripts.map((s) => `${s.event}:${s.outcome}`).join(',')}`)).toEqual(['esbuild postinstall:skipped', 'tracker install:skipped'])
    const text = renderText(report, { color: false, verbose: false })
    expect(text).not.toContain('No install scripts.')
    expect(text).toMatch(/esbuild@1\.0\.0 +postinstall +skipped/)
    expect(text).toContain('0 scripts run, 2 skipped')
  })
})

import { describe, expect, it } from 'vitest'
import { renderCodeQuality, type CodeQualityIssue } from '../../../src/report/codequality.js'
import { sampleReport } from './sample-report.js'

const lines: Readonly<Record<string, number>> = { 'node_modules/evil-pkg': 120, 'node_modules/sharp': 310 }
const places = { manifestPath: 'app/package.json', lockfilePath: 'app/package-lock.json', locate: (location: string): number | undefined => lines[location] }

const render = (report = sampleReport()): CodeQualityIssue[] => JSON.parse(renderCodeQuality(report, places)) as CodeQualityIssue[]

describe('renderCodeQuality (GitLab Code Quality)', () => {
  it('one issue per finding with the fields GitLab requires, at the lockfile line of its package', () => {
    const issues = render()
    expect(issues).toHaveLength(sampleReport().findings.length)
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual(['categories', 'check_name', 'content', 'description', 'engine_name', 'fingerprint', 'location', 'severity', 'type'])
      expect(issue.fingerprint).toMatch(/^[0-9a-f]{64}$/)
      expect(Number.isInteger(issue.location.lines.begin) && issue.location.lines.begin >= 1).toBe(true)
    }
    expect(issues[0]).toMatchObject({
      type: 'issue', check_name: 'credential-read', severity: 'critical', categories: ['Security'],
      description: 'credential-read (blocked): evil-pkg@1.0.3 preinstall: preinstall of evil-pkg@1.0.3 read ~/.npmrc; it only found a decoy.',
      location: { path: 'app/package-lock.json', lines: { begin: 120 } },
    })
    expect(issues.map((i) => i.severity)).toEqual(['critical', 'critical', 'major', 'major', 'info'])
    expect(issues[2]?.content.body).toBe('install of sharp@0.33.5 was not run: it has no allowScripts entry.\n\nFix: safe-install policy approve sharp')
    // The root project's own script: package.json; an unlocated package: line 1 of the lockfile.
    expect(issues[3]?.location).toEqual({ path: 'app/package.json', lines: { begin: 1 } })
    expect(issues[4]?.location).toEqual({ path: 'app/package-lock.json', lines: { begin: 1 } })
  })

  it('fingerprints are stable across runs and unique within a report, even for two alike findings', () => {
    const report = sampleReport()
    const twice = sampleReport({ findings: [...report.findings, report.findings[1]!] })
    const a = render(twice).map((i) => i.fingerprint)
    expect(new Set(a).size).toBe(a.length)
    expect(render(twice).map((i) => i.fingerprint)).toEqual(a)
    expect(render().map((i) => i.fingerprint)).toEqual(a.slice(0, -1))
  })

  it('strips control characters and escape sequences a package put in its text', () => {
    const report = sampleReport()
    const hostile = { ...report.findings[0]!, message: 'read \u001b[2K\u001b]8;;x\u0007~/.npmrc\r\nfake line' }
    const [issue] = render(sampleReport({ findings: [hostile] }))
    expect(issue?.description).not.toMatch(/[\u0000-\u001f]/)
    expect(issue?.description).toContain('read ~/.npmrc fake line')
  })

  it('an empty report is an empty array (GitLab then shows no issues)', () => {
    expect(renderCodeQuality(sampleReport({ findings: [] }), places)).toBe('[]\n')
  })
})

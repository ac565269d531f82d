import { describe, expect, it } from 'vitest'
import { inertCode, inertText } from '../../../src/ci/markdown.js'
import { renderStepSummary } from '../../../src/ci/step-summary.js'
import type { Finding, Report } from '../../../src/types.js'
import { noIsolation, sampleReport } from '../report/sample-report.js'

/** Numeric character references back to characters: what a reader sees once GitHub renders the cell. */
const decode = (text: string): string => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))

/** Cells of a Markdown table row, split on unescaped pipes as GFM does. */
const cells = (row: string): string[] => row.replace(/^\| | \|$/g, '').split(' | ')

const HOSTILE = 'evil|pkg <script>alert(1)</script> `x` **b** [l](https://evil.example.test) @team #1 ::error::forged\n| injected | row |\r\n<img src=x onerror=alert(1)>'

describe('inert Markdown values', () => {
  it('turns every ASCII punctuation into a character reference, keeps letters, digits and spaces', () => {
    expect(inertText('a-b.c@1 ok')).toBe('a&#45;b&#46;c&#64;1 ok')
    expect(decode(inertText('a|b<c>`d`\\e&f'))).toBe('a|b<c>`d`\\e&f')
    expect(inertText('a|b<c>`d`\\e&f')).not.toMatch(/[|<>`\\]|&(?!#\d+;)/)
  })

  it('wraps values in <code> (never autolinked), strips control characters and newlines, clips long text', () => {
    expect(inertCode('@types/node')).toBe('<code>&#64;types&#47;node</code>')
    expect(inertCode('a\nb\u001b[31mc\u202e')).toBe('<code>a bc</code>')
    expect(inertCode('')).toBe('')
    expect(decode(inertCode('x'.repeat(500), 10))).toBe(`<code>${'x'.repeat(9)}…</code>`)
  })
})

const hostileReport = (): Report => {
  const base = sampleReport({ isolation: noIsolation })
  const pkg = { name: HOSTILE, version: '1.0.0', location: 'node_modules/evil' }
  const finding: Finding = { rule: 'credential-read', severity: 'error', package: pkg, event: HOSTILE, action: 'blocked', message: HOSTILE, evidence: { fix: HOSTILE } }
  return {
    ...base,
    packages: [{ ...pkg, approval: 'approved', scripts: [{ event: HOSTILE, command: HOSTILE, outcome: 'blocked', exitCode: null, durationMs: 5 }] }],
    egress: [{ package: pkg, event: HOSTILE, protocol: 'https', host: HOSTILE, port: 443, bytesOut: 1, bytesIn: 0, decision: 'blocked' }],
    findings: [finding],
    summary: { ...base.summary, findings: { error: 1, warning: 0, note: 0 } },
  }
}

describe('renderStepSummary', () => {
  it('says what ran, under which isolation, what was blocked, each finding, and the egress', () => {
    const md = renderStepSummary(sampleReport(), { title: 'safe-install ci', ci: 'GitHub Actions' })
    const lines = md.split('\n')
    expect(lines[0]).toBe('## safe-install ci: 2 errors, 2 warnings, 1 note')
    expect(md).toContain('mode enforce (violations blocked) · 8.4s · safe-install 0.1.0 · GitHub Actions')
    expect(md).toContain('**Isolation in force:** bwrap (network namespace, filesystem namespace, pid namespace, tracer strace)')
    expect(md).toContain('### Install scripts: 2 run, 1 skipped, 0 failed, 1 blocked')
    expect(lines).toContain('| <code>evil&#45;pkg&#64;1&#46;0&#46;3</code> | <code>preinstall</code> | blocked | 310ms |')
    expect(lines).toContain('| <code>sharp&#64;0&#46;33&#46;5</code> | <code>install</code> | skipped |  |')
    expect(md).toContain('### Blocked\n\n- 1 script: <code>evil&#45;pkg&#64;1&#46;0&#46;3</code> <code>preinstall</code>\n- 1 connection: <code>collector&#46;example&#46;test&#58;80</code> (http) from')
    expect(md).toContain('- 3 findings acted on')
    const findingRows = lines.filter((line) => /^\| (error|warning|note) \|/.test(line))
    expect(findingRows.map((row) => cells(row).slice(0, 2).map(decode))).toEqual([
      ['error', '<code>credential-read</code>'], ['error', '<code>egress-blocked</code>'], ['warning', '<code>unreviewed-script</code>'],
      ['warning', '<code>static-curl-pipe-shell</code>'], ['note', '<code>install-script</code>'],
    ])
    expect(decode(findingRows[2]!)).toContain('Fix: <code>safe-install policy approve sharp</code>')
    expect(md).toContain('### Network: 2 connections, 1 blocked')
    expect(decode(lines.find((line) => line.startsWith('| <code>evil') && line.includes('collector'))!)).toBe('| <code>evil-pkg@1.0.3</code> | <code>preinstall</code> | http <code>collector.example.test:80</code> | blocked | 2048 / 0 |')
  })

  it('shows a degraded sandbox with its reason, the weaker layers and the fix', () => {
    const md = renderStepSummary(sampleReport({ isolation: noIsolation }), { title: 'safe-install ci', degraded: { reason: 'bubblewrap (bwrap) is not installed', fix: 'sudo apt-get install bubblewrap' } })
    expect(md).toContain('**Isolation in force:** none (env scrub, decoy home and egress proxy variables only; no namespace sandbox on this machine; tracer none)')
    expect(decode(md)).toContain('**Warning: reduced isolation.** bubblewrap (bwrap) is not installed\n\nFix: sudo apt-get install bubblewrap (or pass `--require-isolation` to fail instead).')
    expect(md).toContain('- network: proxy variables only; a script that ignores them can connect directly')
  })

  it('says why the install failed, inert', () => {
    const md = renderStepSummary(sampleReport(), { title: 'safe-install ci', failure: 'ETARGET <b>x</b>' })
    expect(md.split('\n').slice(0, 6)).toContain('**The install failed:** <code>ETARGET &#60;b&#62;x&#60;&#47;b&#62;</code>')
  })

  it('counts repeated blocked connections instead of listing each', () => {
    const base = sampleReport()
    const md = renderStepSummary(sampleReport({ egress: [base.egress[1]!, base.egress[1]!, base.egress[1]!] }), { title: 'safe-install ci' })
    expect(md).toContain('- 3 connections: <code>collector&#46;example&#46;test&#58;80</code> (http) from <code>evil&#45;pkg&#64;1&#46;0&#46;3</code> <code>preinstall</code> ×3\n')
  })

  it('says so when nothing was blocked in report mode', () => {
    const report = sampleReport({ mode: 'report', packages: [], egress: [], findings: [] })
    const md = renderStepSummary(report, { title: 'safe-install install' })
    expect(md).toContain('Nothing was blocked (mode report: violations are recorded, not blocked).')
    expect(md).toContain('No install scripts ran or were due.')
    expect(md).toContain('No findings.')
    expect(md).toContain('No install script connected anywhere.')
  })

  it('renders an audit: the lockfile, approvals, findings with where they are', () => {
    const report = sampleReport({
      command: 'audit', mode: 'report', egress: [],
      findings: [{ rule: 'lockfile-untrusted-host', severity: 'error', package: { name: 'left-pad', version: '1.3.0' }, action: 'reported', message: 'left-pad resolves elsewhere.', evidence: { lockfile: 'package-lock.json', line: 12 } }],
    })
    const md = renderStepSummary(report, {
      title: 'safe-install audit', lockfile: 'app/package-lock.json',
      places: { manifestPath: 'app/package.json', lockfilePath: 'app/package-lock.json', locate: () => undefined, rebase: (p) => `app/${p}` },
    })
    expect(md).not.toContain('### Install scripts')
    expect(md).not.toContain('### Network')
    expect(decode(md)).toContain('**Lockfile:** <code>app/package-lock.json</code>, 42 entries; offline review, no package code was run.')
    expect(md).toContain('**Install scripts:** 4 packages: 3 approved, 1 unreviewed, 0 denied.')
    expect(md).toContain('| Severity | Rule | Package | Where | Message |')
    expect(decode(md)).toContain('| error | <code>lockfile-untrusted-host</code> | <code>left-pad@1.3.0</code> | <code>app/package-lock.json:12</code> | <code>left-pad resolves elsewhere.</code> |')
  })

  it('keeps hostile names, events, commands, hosts and messages inert: no tag, no extra cell or row, no command line', () => {
    const md = renderStepSummary(hostileReport(), { title: 'safe-install ci' })
    expect(md).not.toMatch(/<(?!\/?code>)/)
    expect(md).not.toContain('`x`')
    expect(md).not.toMatch(/^\s*::/m)
    const table = (header: string): string[] => {
      const lines = md.split('\n')
      const start = lines.indexOf(header)
      return lines.slice(start + 2, lines.indexOf('', start))
    }
    expect(table('| Package | Event | Outcome | Duration |').map((row) => cells(row).length)).toEqual([4])
    expect(table('| Severity | Rule | Package | Event | Action | Message |').map((row) => cells(row).length)).toEqual([6])
    expect(table('| Package | Event | Destination | Decision | Bytes out / in |').map((row) => cells(row).length)).toEqual([5])
    const cleaned = HOSTILE.replace(/[\r\n]+/g, ' ')
    expect(decode(md)).toContain(`<code>${cleaned}@1.0.0</code>`.slice(0, 150))
  })

  it('stays within its byte budget, says what it left out, and never cuts a line', () => {
    const many = sampleReport({
      findings: Array.from({ length: 5000 }, (_, i) => ({ ...sampleReport().findings[0]!, message: `finding ${i} ${'x'.repeat(150)}` })),
    })
    const md = renderStepSummary(many, { title: 'safe-install ci', budgetBytes: 64 * 1024 })
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(64 * 1024)
    expect(md).toMatch(/… and \d+ findings more, not shown here \(size limit\): see the JSON report\./)
    expect(md.split('\n').filter((line) => line.startsWith('| error |')).every((line) => line.endsWith('|'))).toBe(true)
    const huge = renderStepSummary(hostileReport(), { title: 'safe-install ci', budgetBytes: 3000 })
    expect(Buffer.byteLength(huge)).toBeLessThanOrEqual(3000)
  })
})

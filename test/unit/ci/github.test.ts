import { describe, expect, it } from 'vitest'
import { renderAnnotations } from '../../../src/ci/github.js'
import { repoPathResolver } from '../../../src/ci/repo-path.js'
import type { FindingPlaces } from '../../../src/report/locate.js'
import type { Finding } from '../../../src/types.js'
import { noIsolation, sampleReport } from '../report/sample-report.js'

const places: FindingPlaces = {
  manifestPath: 'app/package.json',
  lockfilePath: 'app/package-lock.json',
  locate: (location) => ({ 'node_modules/evil-pkg': 120, 'node_modules/sharp': 310 } as Record<string, number>)[location],
}

const finding = (severity: Finding['severity'], i: number): Finding => ({
  rule: 'lockfile-missing-integrity', severity, package: { name: `pkg-${severity}-${i}`, version: '1.0.0', location: `node_modules/pkg-${i}` },
  action: 'reported', message: `entry ${i}`, evidence: { lockfile: 'package-lock.json', line: i + 2 },
})

describe('renderAnnotations', () => {
  it('annotates each finding at its lockfile line, titled with rule and package, errors first, notes as notices', () => {
    expect(renderAnnotations(sampleReport(), { places })).toEqual([
      '::error title=credential-read%3A evil-pkg@1.0.3,file=app/package-lock.json,line=120::preinstall of evil-pkg@1.0.3 read ~/.npmrc; it only found a decoy.',
      '::error title=egress-blocked%3A evil-pkg@1.0.3,file=app/package-lock.json,line=120::preinstall of evil-pkg@1.0.3 tried to POST to collector.example.test:80, which the policy does not allow.',
      '::warning title=unreviewed-script%3A sharp@0.33.5,file=app/package-lock.json,line=310::install of sharp@0.33.5 was not run: it has no allowScripts entry.%0AFix: safe-install policy approve sharp',
      '::warning title=static-curl-pipe-shell%3A my-app@1.0.0,file=app/package.json::The prepare script pipes a download into a shell.',
      '::notice title=install-script%3A esbuild@0.25.12,file=app/package-lock.json::esbuild@0.25.12 has a postinstall script.',
    ])
  })

  it('places an audit finding at the file and line it carries, rebased onto the repository', () => {
    const report = sampleReport({
      command: 'audit',
      findings: [
        { ...finding('error', 1), evidence: { lockfile: 'package-lock.json', line: 9 } },
        { ...finding('warning', 2), rule: 'static-eval', evidence: { file: 'node_modules/x/install.js', line: 4, lockfile: 'package-lock.json' } },
      ],
    })
    const rebased = { ...places, rebase: (p: string) => `app/${p}` }
    expect(renderAnnotations(report, { places: rebased })).toEqual([
      '::error title=lockfile-missing-integrity%3A pkg-error-1@1.0.0,file=app/package-lock.json,line=9::entry 1',
      '::warning title=static-eval%3A pkg-warning-2@1.0.0,file=app/node_modules/x/install.js,line=4::entry 2',
    ])
  })

  it('emits at most 10 of each kind, all errors first, and one notice saying how many were left out', () => {
    const findings = [...Array.from({ length: 3 }, (_, i) => finding('note', i)), ...Array.from({ length: 14 }, (_, i) => finding('warning', i)),
      ...Array.from({ length: 12 }, (_, i) => finding('error', i))]
    const lines = renderAnnotations(sampleReport({ findings, isolation: noIsolation }), { places, degraded: { reason: 'bubblewrap (bwrap) is not installed', fix: 'sudo apt-get install bubblewrap' } })
    const kinds = lines.map((line) => /^::(\w+)/.exec(line)?.[1])
    expect(kinds.filter((k) => k === 'error')).toHaveLength(10)
    expect(kinds.filter((k) => k === 'warning')).toHaveLength(10)
    expect(kinds.filter((k) => k === 'notice')).toHaveLength(4)
    expect(lines[0]).toMatch(/^::warning title=safe-install%3A namespace sandbox not in force::/)
    expect(lines.slice(1, 11).every((line) => line.startsWith('::error'))).toBe(true)
    expect(lines.at(-1)).toBe('::notice title=safe-install%3A more findings::7 more findings were not annotated (2 errors, 5 warnings, 0 notes): GitHub shows 10 annotations of each kind per step. All findings are in the step summary, the log above and the SARIF/JSON report.')
  })

  it('annotates why the install failed first, within the 10 errors', () => {
    const findings = Array.from({ length: 12 }, (_, i) => finding('error', i))
    const lines = renderAnnotations(sampleReport({ findings }), { places, failure: 'could not fetch x@1.0.0: ETIMEDOUT\n::error::forged' })
    expect(lines[0]).toBe('::error title=safe-install%3A install failed::could not fetch x@1.0.0: ETIMEDOUT%0A::error::forged')
    expect(lines.filter((line) => line.startsWith('::error'))).toHaveLength(10)
    expect(lines.at(-1)).toContain('3 more findings were not annotated (3 errors')
  })

  it('annotates identical findings once (a hook that retries), without counting them as left out', () => {
    const again = sampleReport().findings[1]!
    const lines = renderAnnotations(sampleReport({ findings: [again, again, again] }), { places })
    expect(lines).toEqual([lines[0]])
    expect(lines[0]).toMatch(/^::error title=egress-blocked/)
  })

  it('keeps the overflow notice within the notice budget when notes overflow too', () => {
    const lines = renderAnnotations(sampleReport({ findings: Array.from({ length: 25 }, (_, i) => finding('note', i)) }), { places, perLevel: 5 })
    expect(lines).toHaveLength(5)
    expect(lines.at(-1)).toContain('21 more findings were not annotated (0 errors, 0 warnings, 21 notes)')
  })

  it('warns when the namespace sandbox was not in force: the reason, each missing layer, the fix, --require-isolation', () => {
    const [line] = renderAnnotations(sampleReport({ isolation: noIsolation, findings: [] }), {
      places, degraded: { reason: 'bubblewrap (bwrap) is not installed; without bubblewrap, unshare: unshare (util-linux) not installed', fix: 'install it: sudo apt-get install bubblewrap' },
    })
    const message = decodeURIComponent(line!.split('::')[2]!)
    expect(line).toMatch(/^::warning title=safe-install%3A namespace sandbox not in force::/)
    expect(message.split('\n')).toEqual([
      'Install scripts ran with reduced isolation: bubblewrap (bwrap) is not installed; without bubblewrap, unshare: unshare (util-linux) not installed.',
      'Weaker layers:',
      '- network: proxy variables only; a script that ignores them can connect directly',
      '- filesystem: decoy HOME only; real files stay readable by absolute path',
      '- processes: process group only; a process that leaves the group can outlive its hook',
      '- tracer: none; file and exec activity of scripts was not recorded',
      'Fix: install it: sudo apt-get install bubblewrap',
      'Pass --require-isolation to fail the job instead (exit 4).',
    ])
  })

  it('says nothing about isolation when it was complete, or for an audit; a notice when only the tracer is weaker', () => {
    expect(renderAnnotations(sampleReport({ findings: [] }), { places })).toEqual([])
    expect(renderAnnotations(sampleReport({ command: 'audit', isolation: noIsolation, findings: [] }), { places })).toEqual([])
    const [line] = renderAnnotations(sampleReport({ findings: [], isolation: { ...sampleReport().isolation, tracer: 'preload' } }), { places })
    expect(line).toMatch(/^::notice title=safe-install%3A tracer limited::.*tracer: preload/)
  })

  it('keeps hostile package strings inside their annotation', () => {
    const hostile: Finding = {
      rule: 'credential-read', severity: 'error',
      package: { name: 'x,file=.github/workflows/ci.yml,line=1::\n::set-output name=ok::1', version: '1.0.0%0A', location: 'node_modules/x' },
      event: 'postinstall', action: 'blocked', message: 'read ~/.npmrc\r\n::add-mask::%0A\u001b[2K::error::forged',
      evidence: { fix: 'npm deny-scripts x\n::warning::forged' },
    }
    const lines = renderAnnotations(sampleReport({ findings: [hostile] }), { places })
    expect(lines).toHaveLength(1)
    expect(lines[0]!.split('\n')).toHaveLength(1)
    expect(lines[0]).toBe('::error title=credential-read%3A x%2Cfile=.github/workflows/ci.yml%2Cline=1%3A%3A %3A%3Aset-output name=ok%3A%3A1@1.0.0%250A,file=app/package-lock.json'
      + '::read ~/.npmrc%0A::add-mask::%250A::error::forged%0AFix: npm deny-scripts x%0A::warning::forged')
  })
})

describe('repoPathResolver', () => {
  it('names files relative to GITHUB_WORKSPACE when safe-install runs inside it', () => {
    const rel = repoPathResolver('/home/runner/work/r/r/app', '/home/runner/work/r/r')
    expect(rel('package-lock.json')).toBe('app/package-lock.json')
    expect(rel('/home/runner/work/r/r/app/node_modules/x/a.js')).toBe('app/node_modules/x/a.js')
    expect(rel('../other/package-lock.json')).toBe('other/package-lock.json')
  })

  it('falls back to the working directory outside the workspace or without one', () => {
    expect(repoPathResolver('/tmp/project', '/home/runner/work/r/r')('package-lock.json')).toBe('package-lock.json')
    expect(repoPathResolver('/tmp/project', undefined)('sub/package-lock.json')).toBe('sub/package-lock.json')
    expect(repoPathResolver('/tmp/project', 'relative/ws')('package-lock.json')).toBe('package-lock.json')
  })
})

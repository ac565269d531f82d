import { describe, expect, it } from 'vitest'
import { learnGrants, LEARN_TIMEOUT_CAP_SEC, type LearnInput } from '../../../src/policy/learn.js'
import { grantReaches } from '../../../src/policy/learn-write.js'
import { policyFromText } from '../../../src/policy/load-policy.js'
import { validateReport } from '../../../src/report/validate-report.js'
import { loadPathRules } from '../../../src/trace/path-rules.js'
import type { Finding, Report, Severity } from '../../../src/types.js'

const PROJECT = '/work/app'
const DECOY = '/tmp/safe-install-sbx-Ab12Cd/home'
const rules = loadPathRules()

const finding = (
  rule: string,
  evidence: Record<string, unknown>,
  over: { name?: string; version?: string; severity?: Severity; event?: string } = {},
): Finding => ({
  rule, severity: over.severity ?? 'error', action: 'reported',
  package: { name: over.name ?? 'cdn-pkg', version: over.version ?? '1.0.0', location: `node_modules/${over.name ?? 'cdn-pkg'}` },
  event: over.event ?? 'postinstall',
  message: `${rule} finding`, evidence,
})

const reached = (host: string, port: number, over: Parameters<typeof finding>[2] = {}): Finding =>
  finding('egress-unexpected', { host, port, protocol: port === 443 ? 'https' : 'http', method: 'GET', reason: `host ${host} is not in this package's network grants` }, over)
const refused = (host: string, port: number, category: string, over: Parameters<typeof finding>[2] = {}): Finding =>
  finding('egress-blocked', { host, port, protocol: 'http', method: 'GET', reason: `${category} refusal of ${host}`, category }, { ...over })
const wrote = (path: string, over: Parameters<typeof finding>[2] = {}): Finding =>
  finding('write-outside-package', { path, entry: 'outside-package', decoy: path.startsWith(DECOY), syscall: 'openat', result: 'EROFS' }, over)

const report = (findings: readonly Finding[], over: Partial<Report> = {}): Report => {
  const count = { error: 0, warning: 0, note: 0 }
  for (const f of findings) count[f.severity] += 1
  return {
    schemaVersion: 1, tool: { name: 'safe-install', version: '0.1.0' }, command: 'install', mode: 'report',
    startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1000,
    isolation: { backend: 'bwrap', network: 'namespace', filesystem: 'namespace', pid: 'namespace', tracer: 'strace' },
    packages: [], egress: [], findings, summary: { packages: 1, scriptsRun: 1, findings: count }, ...over,
  }
}

type LearnOptions = Partial<Pick<LearnInput, 'denied' | 'pinVersion' | 'allowViolations'>> & { policyText?: string; reportOver?: Partial<Report> }

const learn = (findings: readonly Finding[], { policyText, reportOver, ...over }: LearnOptions = {}) => {
  const r = report(findings, reportOver)
  expect(validateReport(r)).toEqual({ kind: 'valid' })
  return learnGrants({
    report: r, policy: policyFromText(policyText ?? '{}', 'safe-install.policy.json'), projectDir: PROJECT, pathRules: rules,
    denied: new Map(), pinVersion: false, allowViolations: false, ...over,
  })
}

describe('policy learn: network grants', () => {
  it('grants each host exactly as seen, with the port unless it is 80 or 443', () => {
    const result = learn([
      reached('dl.example.test', 443), reached('mirror.example.test', 80), reached('bin.example.test', 8443), reached('1.2.3.4', 8080),
    ])
    expect(result.grants).toEqual([expect.objectContaining({
      key: 'cdn-pkg', network: ['dl.example.test', 'mirror.example.test', 'bin.example.test:8443', '1.2.3.4:8080'], write: [],
    })])
    expect(result.notGranted).toEqual([])
  })

  it('never widens to a wildcard: sibling names stay separate exact grants', () => {
    const result = learn([reached('a.cdn.example.test', 443), reached('b.cdn.example.test', 443), reached('a.cdn.example.test', 443)])
    expect(result.grants[0]?.network).toEqual(['a.cdn.example.test', 'b.cdn.example.test'])
    expect(result.grants.flatMap((g) => g.network).some((h) => h.includes('*'))).toBe(false)
  })

  it('drops host:port when the same host is also granted bare (which allows every port)', () => {
    expect(learn([reached('dl.example.test', 8443), reached('dl.example.test', 443)]).grants[0]?.network).toEqual(['dl.example.test'])
  })

  it('learns from egress-blocked of an enforce run too, and says that run may have stopped early', () => {
    const result = learn([refused('dl.example.test', 8080, 'not-granted')], { reportOver: { mode: 'enforce' } })
    expect(result.grants[0]?.network).toEqual(['dl.example.test:8080'])
    expect(result.notes.some((n) => n.includes('enforce run'))).toBe(true)
  })

  it.each([
    ['a loopback address', refused('127.0.0.1', 4873, 'loopback'), 'unresolved'],
    ['a loopback name', refused('localhost', 3000, 'loopback'), 'unresolved'],
    ['a private address', refused('10.0.0.8', 80, 'private'), 'unresolved'],
    ['a name that resolved to a private address', refused('intranet.example.test', 443, 'private'), 'unresolved'],
    ['an IPv6 literal', reached('2a00:1450::1', 443), 'unresolved'],
    ['a host shown redacted', refused('[redacted]', 443, 'not-granted'), 'unresolved'],
    ['an indicator of compromise', refused('c2.example.test', 443, 'indicator'), 'violation'],
    ['the metadata endpoint', finding('metadata-endpoint', { host: '169.254.169.254', port: 80 }), 'violation'],
  ] as const)('never grants %s', (_label, f, kind) => {
    const result = learn([f])
    expect(result.grants).toEqual([])
    expect(result.notGranted).toEqual([expect.objectContaining({ rule: f.rule, kind })])
  })

  it('never grants a host of the malicious-package index, nor a subdomain of one', () => {
    const result = learn([reached('x.evil.example.test', 443)], { denied: new Map([['evil.example.test', 'MAL-2026-1']]) })
    expect(result.notGranted).toEqual([expect.objectContaining({ kind: 'violation', subject: 'x.evil.example.test:443', reason: expect.stringContaining('MAL-2026-1') })])
  })

  it('never grants a host that was sent a secret, and withholds that package\'s other grants', () => {
    const result = learn([
      reached('dl.example.test', 443),
      reached('collect.example.test', 443),
      finding('secret-exfiltration', { host: 'collect.example.test', port: 443, secrets: ['canary npmToken'], where: 'headers' }),
    ])
    expect(result.grants).toEqual([])
    expect(result.withheld).toEqual([expect.objectContaining({ key: 'cdn-pkg', network: ['dl.example.test'] })])
    expect(result.notGranted.map((n) => `${n.rule} ${n.kind} ${n.subject}`)).toEqual([
      'egress-unexpected violation collect.example.test:443', 'secret-exfiltration violation collect.example.test:443',
    ])
  })

  it('learns nothing the policy already grants (network.allow, the package\'s grant, a wildcard)', () => {
    const policyText = JSON.stringify({ network: { allow: ['shared.example.test'] }, packages: { 'cdn-pkg': { network: ['*.cdn.example.test', 'dl.example.test:8443'] } } })
    const result = learn([reached('shared.example.test', 443), reached('a.cdn.example.test', 443), reached('dl.example.test', 8443)], { policyText })
    expect(result.grants).toEqual([])
    expect(result.notGranted).toEqual([])
  })

  it('leaves npm\'s own refused fetches (resolving dependencies, no hook) to a person', () => {
    const f = finding('egress-blocked', { url: 'https://git.example.test/x.tgz', host: 'git.example.test', reason: 'not allowed' }, { name: '(project)', version: '' })
    const result = learn([{ ...f, event: undefined } as unknown as Finding])
    expect(result.notGranted).toEqual([expect.objectContaining({ kind: 'unresolved', reason: expect.stringContaining('network.allow') })])
  })
})

describe('policy learn: write grants', () => {
  it('grants the parent directory of the files written, once', () => {
    const result = learn([wrote('/opt/toolcache/v1/bin/tool'), wrote('/opt/toolcache/v1/bin/tool.sha'), wrote('/var/cache/cdn-pkg/index.json')])
    expect(result.grants[0]?.write).toEqual(['/opt/toolcache/v1/bin', '/var/cache/cdn-pkg'])
  })

  it('grants an ordinary lib directory (a file that is only read elsewhere, such as npm\'s npmrc, is no reason to refuse)', () => {
    expect(learn([wrote('/opt/toolchain/lib/libtool.so')]).grants[0]?.write).toEqual(['/opt/toolchain/lib'])
  })

  it('keeps only the outer directory when one write is under another', () => {
    expect(learn([wrote('/opt/toolcache/v1/bin/tool'), wrote('/opt/toolcache/v1/x.json')]).grants[0]?.write).toEqual(['/opt/toolcache/v1'])
  })

  it('writes paths in the decoy home as ~', () => {
    expect(learn([wrote(`${DECOY}/.cache/cdn-pkg/chrome/x.bin`)]).grants[0]?.write).toEqual(['~/.cache/cdn-pkg/chrome'])
    expect(learn([wrote('/tmp/safe-install-sbx-Ab12Cd/homes/3-cdn-pkg-postinstall/.cache/cdn-pkg/x.bin')]).grants[0]?.write).toEqual(['~/.cache/cdn-pkg'])
  })

  it.each([
    ['/', '/x.txt'],
    ['a top-level directory', '/etc/cdn-pkg.conf'],
    ['~ itself', `${DECOY}/.cdn-pkg-state`],
    ['the project (its manifests)', `${PROJECT}/cdn-pkg.lock`],
    ['an ancestor of the project', '/work/cdn-pkg.log'],
    ['node_modules itself', `${PROJECT}/node_modules/.cdn-pkg-state`],
    ['node_modules/.bin', `${PROJECT}/node_modules/.bin/cdn-pkg`],
    ['a real home', '/home/alice/.cache/cdn-pkg/x'],
    ['a kernel interface', '/proc/1/oom_score_adj'],
    ['global node_modules (persistence)', '/usr/lib/node_modules/cdn-pkg/index.js'],
    ['git hooks', '/srv/repo/.git/hooks/pre-commit'],
    ['a git directory (its config is persistence)', '/srv/repo/.git/FETCH_HEAD'],
    ['CI workflows', '/srv/repo/.github/workflows/ci.yml'],
    ['the ssh directory in the decoy home', `${DECOY}/.ssh/known/x`],
    ['a parent of systemd units', `${DECOY}/.config/x.conf`],
    ['a directory every tool caches in', `${DECOY}/.cache/x.bin`],
    ['npm\'s own cache', `${DECOY}/.npm/_cacache/index`],
  ])('never grants %s', (_label, path) => {
    const result = learn([wrote(path)])
    expect(result.grants).toEqual([])
    expect(result.notGranted).toEqual([expect.objectContaining({ rule: 'write-outside-package', kind: 'unresolved', subject: path })])
  })

  it('learns nothing an existing write grant covers', () => {
    expect(learn([wrote('/opt/toolcache/v1/bin/tool')], { policyText: JSON.stringify({ packages: { 'cdn-pkg': { write: ['/opt/toolcache'] } } }) }).grants).toEqual([])
  })

  it('matches the sensitive-path catalogue against the directory a grant would open', () => {
    expect(grantReaches('~/.config/systemd/**', '~/.config')).toBe(true)
    expect(grantReaches('~/.config/systemd/**', '~/.config/cdn-pkg')).toBe(false)
    expect(grantReaches('~/.aws/**', '~/.aws/sso')).toBe(true)
    expect(grantReaches('/**/.git/hooks/**', '/srv/repo/.git')).toBe(true)
    expect(grantReaches('/**/.npmrc', '/opt/toolcache')).toBe(false)
    expect(grantReaches('/etc/cron*/**', '/etc/cron.daily')).toBe(true)
    expect(grantReaches('<project>/**/package.json', '<project>/build')).toBe(false)
  })
})

describe('policy learn: timeouts, env, violations, keys', () => {
  it('gives a hook that timed out twice the time it ran, capped', () => {
    const slow = learn([finding('script-timeout', { command: 'node-gyp rebuild', durationMs: 600_400 })])
    expect(slow.grants).toEqual([expect.objectContaining({ key: 'cdn-pkg', network: [], write: [], timeoutSec: 1201 })])
    const capped = learn([finding('script-timeout', { command: 'x', durationMs: 2_400_000 }, { severity: 'warning' })], { policyText: '{ "timeoutSec": 2400 }' })
    expect(capped.grants[0]?.timeoutSec).toBe(LEARN_TIMEOUT_CAP_SEC)
    const atCap = learn([finding('script-timeout', { command: 'x', durationMs: 3_600_100 })], { policyText: '{ "timeoutSec": 3600 }' })
    expect(atCap.grants).toEqual([])
    expect(atCap.notGranted).toEqual([expect.objectContaining({ rule: 'script-timeout', kind: 'unresolved' })])
  })

  it('says env is not learnt, and ignores warnings and notes (they do not fail an enforce run)', () => {
    const result = learn([
      finding('dns-query', { name: 'dl.example.test', type: 'A', answer: null }, { severity: 'warning' }),
      finding('write-outside-package', { path: '/tmp/x' }, { severity: 'warning' }),
      finding('process-spawn', { argv: ['curl'] }, { severity: 'note' }),
    ])
    expect(result.grants).toEqual([])
    expect(result.notGranted).toEqual([])
    expect(result.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^env is not learnt/), '3 warning and note findings need no grant (they do not fail an enforce run)']))
  })

  it.each(['credential-read', 'persistence', 'package-tamper', 'escaped-process', 'direct-connection'])('lists %s as a violation, never a grant, and withholds the package\'s grants', (rule) => {
    const findings = [reached('dl.example.test', 443), finding(rule, { path: '/x', address: '203.0.113.9', port: 443 })]
    const result = learn(findings)
    expect(result.grants).toEqual([])
    expect(result.withheld).toHaveLength(1)
    expect(result.notGranted).toEqual([expect.objectContaining({ rule, kind: 'violation' })])
    const allowed = learn(findings, { allowViolations: true })
    expect(allowed.grants).toEqual([expect.objectContaining({ network: ['dl.example.test'] })])
    expect(allowed.notGranted).toEqual([expect.objectContaining({ rule, kind: 'violation' })])
  })

  it('keeps the grants of other packages when one package has a violation', () => {
    const result = learn([reached('dl.example.test', 443), finding('credential-read', { path: `${DECOY}/.npmrc` }, { name: 'evil' })])
    expect(result.grants.map((g) => g.key)).toEqual(['cdn-pkg'])
  })

  it('keys grants by name@version with pinVersion', () => {
    expect(learn([reached('dl.example.test', 443)], { pinVersion: true }).grants[0]?.key).toBe('cdn-pkg@1.0.0')
  })

  it('treats a failed hook as explained when it also hit a refusal, else as unresolved', () => {
    const failed = finding('script-failed', { command: 'node install.js', exitCode: 1 })
    const explained = learn([reached('dl.example.test', 443), failed])
    expect(explained.notGranted).toEqual([])
    expect(explained.notes.some((n) => n.startsWith('postinstall of cdn-pkg@1.0.0 failed'))).toBe(true)
    expect(learn([failed]).notGranted).toEqual([expect.objectContaining({ rule: 'script-failed', kind: 'unresolved' })])
  })
})

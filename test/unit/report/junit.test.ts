import { describe, expect, it } from 'vitest'
import { renderJunit, renderJunitError } from '../../../src/report/junit.js'
import { xmlAttr, xmlText } from '../../../src/report/xml.js'
import type { Finding, Report } from '../../../src/types.js'
import { findAll, parseXml, type XmlElement } from '../../helpers/xml.js'
import { sampleReport } from './sample-report.js'

const caseOf = (root: XmlElement, classname: string, name: string): XmlElement | undefined =>
  findAll(root, 'testcase').find((c) => c.attrs['classname'] === classname && c.attrs['name'] === name)

const child = (element: XmlElement | undefined, tag: string): XmlElement | undefined => element?.children.find((c) => c.tag === tag)

describe('XML escaping', () => {
  it('escapes markup characters in text and attributes', () => {
    expect(xmlText('a<b>&c]]>')).toBe('a&lt;b&gt;&amp;c]]&gt;')
    expect(xmlAttr('"x" \'y\'\n\tz')).toBe('&quot;x&quot; &apos;y&apos;&#10;&#9;z')
  })

  it('drops what XML 1.0 cannot hold: control characters, lone surrogates, U+FFFE/U+FFFF; keeps astral characters', () => {
    expect(xmlText('a\u0000b\u0008c\u0007d\ud800e\udfff\ufffe\uffff f\u{1F600}')).toBe('abcde f\u{1F600}')
    expect(xmlText('\u001b[31mred\u001b[0m')).toBe('red')
  })
})

describe('renderJunit, install-like runs', () => {
  const root = parseXml(renderJunit(sampleReport({ command: 'ci' }), { failOn: ['error'], properties: { ci: 'GitLab CI' } }))

  it('has one suite for the command with the counts, time and properties', () => {
    expect(root.tag).toBe('testsuites')
    const suite = findAll(root, 'testsuite')
    expect(suite).toHaveLength(1)
    expect(suite[0]!.attrs).toMatchObject({ name: 'safe-install ci', tests: '5', failures: '1', errors: '0', skipped: '1', time: '8.421', timestamp: '2025-06-01T12:00:00.000Z' })
    expect(Object.fromEntries(findAll(root, 'property').map((p) => [p.attrs['name'], p.attrs['value']]))).toEqual({
      mode: 'enforce', isolation: 'bwrap (network namespace, filesystem namespace, pid namespace, tracer strace)', ci: 'GitLab CI',
    })
  })

  it('has one case per package script: passed, failed with its error findings, skipped with the reason', () => {
    expect(child(caseOf(root, 'esbuild@0.25.12', 'postinstall'), 'failure')).toBeUndefined()
    expect(caseOf(root, 'esbuild@0.25.12', 'postinstall')?.attrs['time']).toBe('1.234')
    const evil = caseOf(root, 'evil-pkg@1.0.3', 'preinstall')
    expect(child(evil, 'failure')?.attrs).toEqual({ type: 'credential-read', message: 'preinstall of evil-pkg@1.0.3 read ~/.npmrc; it only found a decoy. (+1 more)' })
    expect(child(evil, 'failure')?.text.split('\n')).toEqual([
      'outcome: blocked',
      'error credential-read [blocked] evil-pkg@1.0.3 preinstall: preinstall of evil-pkg@1.0.3 read ~/.npmrc; it only found a decoy.',
      'error egress-blocked [blocked] evil-pkg@1.0.3 preinstall: preinstall of evil-pkg@1.0.3 tried to POST to collector.example.test:80, which the policy does not allow.',
    ])
    expect(child(caseOf(root, 'sharp@0.33.5', 'install'), 'skipped')?.attrs['message']).toBe('install of sharp@0.33.5 was not run: it has no allowScripts entry.')
    expect(child(caseOf(root, 'my-app@1.0.0', 'prepare'), 'system-out')?.text).toContain('warning static-curl-pipe-shell my-app@1.0.0 prepare')
    expect(child(caseOf(root, 'esbuild@0.25.12', 'findings'), 'system-out')?.text).toBe('note install-script esbuild@0.25.12: esbuild@0.25.12 has a postinstall script.')
  })

  it('fails a script that failed or timed out even without an error finding', () => {
    const base = sampleReport()
    const report: Report = { ...base, findings: [], packages: [{ ...base.packages[0]!, scripts: [{ event: 'postinstall', command: 'node x', outcome: 'timeout', exitCode: null, durationMs: 600000 }] }] }
    const failure = child(caseOf(parseXml(renderJunit(report, { failOn: ['error'] })), 'esbuild@0.25.12', 'postinstall'), 'failure')
    expect(failure?.attrs).toEqual({ type: 'script-timeout', message: 'postinstall of esbuild@0.25.12: timeout' })
  })

  it('stays well-formed with hostile names, commands and messages, and keeps their text', () => {
    const hostile = 'x"/><testcase name="forged"/><![CDATA[ ]]> & \u0000\u001b[31m\ud800 <script>'
    const base = sampleReport()
    const finding: Finding = { rule: 'credential-read', severity: 'error', package: { name: hostile, version: '1', location: 'node_modules/x' }, event: hostile, action: 'blocked', message: hostile, evidence: {} }
    const report: Report = {
      ...base, findings: [finding],
      packages: [{ name: hostile, version: '1', location: 'node_modules/x', approval: 'approved', scripts: [{ event: hostile, command: hostile, outcome: 'blocked', exitCode: null, durationMs: 1 }] }],
    }
    const parsed = parseXml(renderJunit(report, { failOn: ['error'] }))
    const cases = findAll(parsed, 'testcase')
    expect(cases).toHaveLength(1)
    const visible = 'x"/><testcase name="forged"/><![CDATA[ ]]> &  <script>'
    expect(cases[0]!.attrs).toMatchObject({ classname: `${visible}@1`, name: visible })
    expect(child(cases[0], 'failure')?.attrs['message']).toBe(visible)
    expect(child(cases[0], 'system-out')?.text).toContain(`$ ${visible}`)
  })
})

describe('renderJunit, audit', () => {
  const finding = (rule: string, severity: Finding['severity'], name: string): Finding => ({
    rule, severity, package: { name, version: '1.0.0', location: `node_modules/${name}` }, action: 'reported', message: `${name}: ${rule}`, evidence: { lockfile: 'package-lock.json', line: 7 },
  })
  const report = sampleReport({
    command: 'audit', mode: 'report',
    findings: [finding('lockfile-untrusted-host', 'error', 'a'), finding('lockfile-untrusted-host', 'error', 'b'), finding('lockfile-git-source', 'warning', 'c'), finding('static-eval', 'warning', 'd')],
  })

  it('has one case per audit rule, the same every run, failed by findings of the failing severities', () => {
    const root = parseXml(renderJunit(report, { failOn: ['error'] }))
    const names = findAll(root, 'testcase').map((c) => c.attrs['name'])
    expect(names).toEqual(expect.arrayContaining(['install-script', 'known-malicious', 'lockfile-insecure-protocol', 'lockfile-untrusted-host', 'lockfile-git-source', 'lockfile-duplicate', 'static-eval']))
    expect(names).not.toContain('credential-read')
    const failed = findAll(root, 'testcase').filter((c) => child(c, 'failure') !== undefined)
    expect(failed.map((c) => c.attrs['name'])).toEqual(['lockfile-untrusted-host'])
    expect(child(failed[0], 'failure')?.attrs['message']).toBe('2 findings: a: lockfile-untrusted-host')
    expect(child(failed[0], 'failure')?.text).toBe('error lockfile-untrusted-host a@1.0.0 (package-lock.json:7): a: lockfile-untrusted-host\nerror lockfile-untrusted-host b@1.0.0 (package-lock.json:7): b: lockfile-untrusted-host')
    expect(child(caseOf(root, 'safe-install.audit', 'lockfile-git-source'), 'system-out')?.text).toContain('warning lockfile-git-source c@1.0.0')
  })

  it('follows --fail-on: warnings fail with warning, nothing fails with none', () => {
    const failedWith = (failOn: Finding['severity'][]): string[] =>
      findAll(parseXml(renderJunit(report, { failOn })), 'testcase').filter((c) => child(c, 'failure') !== undefined).map((c) => c.attrs['name']!)
    expect(failedWith(['error', 'warning'])).toEqual(['lockfile-untrusted-host', 'lockfile-git-source', 'static-eval'])
    expect(failedWith([])).toEqual([])
  })

  it('lists static-* once as a passing case when no static finding was made', () => {
    const root = parseXml(renderJunit(sampleReport({ command: 'audit', findings: [] }), { failOn: ['error'] }))
    expect(findAll(root, 'testcase').map((c) => c.attrs['name'])).toContain('static-*')
    expect(findAll(root, 'failure')).toEqual([])
  })
})

describe('renderJunitError', () => {
  it('one test case in error, with the code as type, the message and the fix, every value escaped', () => {
    const xml = renderJunitError({
      command: 'ci', code: 'EPOLICY', exitCode: 2, message: 'safe-install.policy.json: "packages" <must> be an object', hint: 'fix & retry',
      startedAt: '2026-11-28T00:00:00.000Z', properties: { ci: 'GitHub Actions' },
    })
    const root = parseXml(xml)
    const [suite] = findAll(root, 'testsuite')
    expect(suite?.attrs).toMatchObject({ name: 'safe-install ci', tests: '1', errors: '1', failures: '0', skipped: '0' })
    const error = child(caseOf(root, 'safe-install', 'ci'), 'error')
    expect(error?.attrs).toEqual({ type: 'EPOLICY', message: 'safe-install.policy.json: "packages" <must> be an object' })
    expect(error?.text).toBe('safe-install.policy.json: "packages" <must> be an object\nFix: fix & retry')
    expect(findAll(root, 'property').map((p) => [p.attrs['name'], p.attrs['value']])).toEqual([['exit-code', '2'], ['ci', 'GitHub Actions']])
  })
})

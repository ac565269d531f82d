import type { Finding, Report, ReportPackage, ReportScript, Severity } from '../types.js'
import { describeIsolation } from './isolation-lines.js'
import { ruleCatalog } from './rule-catalog.js'
import { openTag, xmlText } from './xml.js'
import { packageId } from './package-id.js'

export interface JunitOptions {
  /** Findings of these severities fail a test case (audit: as `--fail-on`; install-like: errors). */
  readonly failOn: readonly Severity[]
  /** Extra `<property>` entries of the suite (CI service, lockfile ...). */
  readonly properties?: Readonly<Record<string, string>>
}

/** One JUnit test case before rendering. */
interface TestCase {
  readonly classname: string
  readonly name: string
  readonly timeMs: number
  readonly failure?: { readonly type: string; readonly message: string; readonly body: string }
  readonly skipped?: string
  readonly out: readonly string[]
}


const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3)

const placeOf = (f: Finding): string => {
  const { file, lockfile, line } = f.evidence
  const path = typeof file === 'string' ? file : typeof lockfile === 'string' ? lockfile : undefined
  return path !== undefined && typeof line === 'number' ? ` (${path}:${line})` : ''
}

const describeFinding = (f: Finding): string => {
  const fix = f.evidence['fix']
  const where = placeOf(f)
  return `${f.severity} ${f.rule}${f.action === 'blocked' ? ' [blocked]' : ''} ${packageId(f.package)}${f.event === undefined ? '' : ` ${f.event}`}${where}: ${f.message}${typeof fix === 'string' && fix !== '' ? ` Fix: ${fix}` : ''}`
}

const FAILED_OUTCOMES = new Set(['failed', 'blocked', 'timeout'])

const belongsTo = (f: Finding, pkg: ReportPackage): boolean =>
  f.package.location === undefined ? f.package.name === pkg.name && f.package.version === pkg.version : f.package.location === pkg.location

/** A package script: failed when it did not run to success (failed, blocked, timeout) or has a failing finding. */
const scriptCase = (pkg: ReportPackage, script: ReportScript, findings: readonly Finding[], opts: JunitOptions): TestCase => {
  const failing = findings.filter((f) => opts.failOn.includes(f.severity))
  const outcomeFails = FAILED_OUTCOMES.has(script.outcome)
  const out = [`$ ${script.command}`, `outcome: ${script.outcome}${script.exitCode === null ? '' : ` (exit ${script.exitCode})`}`,
    ...findings.filter((f) => !failing.includes(f)).map(describeFinding)]
  const base = { classname: packageId(pkg), name: script.event, timeMs: script.durationMs, out }
  if (failing.length > 0 || outcomeFails) {
    const first = failing[0]
    return {
      ...base,
      failure: {
        type: first?.rule ?? `script-${script.outcome}`,
        message: first === undefined ? `${script.event} of ${packageId(pkg)}: ${script.outcome}` : `${first.message}${failing.length > 1 ? ` (+${failing.length - 1} more)` : ''}`,
        body: [`outcome: ${script.outcome}`, ...failing.map(describeFinding)].join('\n'),
      },
    }
  }
  if (script.outcome === 'skipped') return { ...base, skipped: findings[0]?.message ?? 'not run' }
  return base
}

/** Install-like runs: one case per package script, plus one per package for findings tied to none of its scripts. */
const installCases = (report: Report, opts: JunitOptions): TestCase[] => {
  const used = new Set<Finding>()
  const cases = report.packages.flatMap((pkg) => pkg.scripts.map((script) => {
    const own = report.findings.filter((f) => belongsTo(f, pkg) && f.event === script.event)
    own.forEach((f) => used.add(f))
    return scriptCase(pkg, script, own, opts)
  }))
  const rest = report.findings.filter((f) => !used.has(f))
  const byPackage = new Map<string, Finding[]>()
  for (const f of rest) byPackage.set(packageId(f.package), [...(byPackage.get(packageId(f.package)) ?? []), f])
  for (const [id, findings] of byPackage) cases.push(findingsCase(id, 'findings', findings, opts))
  return cases
}

const findingsCase = (classname: string, name: string, findings: readonly Finding[], opts: JunitOptions): TestCase => {
  const failing = findings.filter((f) => opts.failOn.includes(f.severity))
  const first = failing[0]
  return {
    classname, name, timeMs: 0, out: findings.filter((f) => !failing.includes(f)).map(describeFinding),
    ...(first === undefined ? {} : {
      failure: { type: first.rule, message: `${plural(failing.length)}: ${first.message}`, body: failing.map(describeFinding).join('\n') },
    }),
  }
}

const plural = (n: number): string => (n === 1 ? '1 finding' : `${n} findings`)

/** The audit rules of DESIGN.md, each always a test case, so that CI test history can follow one rule. */
const AUDIT_RULES = Object.keys(ruleCatalog).filter((id) => id === 'install-script' || id === 'known-malicious' || id.startsWith('lockfile-'))

/** Audit: one case per rule (all audit rules, each static-* rule found, or `static-*` when none was). */
const auditCases = (report: Report, opts: JunitOptions): TestCase[] => {
  const seen = [...new Set(report.findings.map((f) => f.rule))]
  const statics = seen.filter((id) => id.startsWith('static-'))
  const others = seen.filter((id) => !AUDIT_RULES.includes(id) && !id.startsWith('static-'))
  const rules = [...AUDIT_RULES, ...(statics.length > 0 ? statics.sort() : ['static-*']), ...others.sort()]
  return rules.map((rule) => findingsCase(`safe-install.audit`, rule, report.findings.filter((f) => f.rule === rule), opts))
}

const renderCase = (c: TestCase): string => {
  const open = `    ${openTag('testcase', { classname: c.classname, name: c.name, time: seconds(c.timeMs) })}`
  const inner = [
    ...(c.failure === undefined ? [] : [`      ${openTag('failure', { type: c.failure.type, message: c.failure.message })}>${xmlText(c.failure.body)}</failure>`]),
    ...(c.skipped === undefined ? [] : [`      ${openTag('skipped', { message: c.skipped })}/>`]),
    ...(c.out.length === 0 ? [] : [`      <system-out>${xmlText(c.out.join('\n'))}</system-out>`]),
  ]
  return inner.length === 0 ? `${open}/>` : [`${open}>`, ...inner, '    </testcase>'].join('\n')
}

/**
 * A JUnit XML report (the common Surefire/Ant dialect Jenkins, GitLab, Azure Pipelines and
 * CircleCI read): one `<testsuite>` for the command. Install-like runs have one test case per
 * package script (classname `name@version`, name the event), failed when the script failed,
 * was blocked or timed out or has a finding of a failing severity, skipped when it was not run;
 * findings tied to no script get a `findings` case of their package. An audit has one test case
 * per rule, so the same names come back every run. Every value is XML-escaped and stripped of
 * characters XML 1.0 cannot hold (a package controls names, commands and messages). Pure.
 */
export const renderJunit = (report: Report, opts: JunitOptions): string => {
  const cases = report.command === 'audit' ? auditCases(report, opts) : installCases(report, opts)
  const failures = cases.filter((c) => c.failure !== undefined).length
  const skipped = cases.filter((c) => c.skipped !== undefined).length
  const counts = { tests: cases.length, failures, errors: 0, skipped, time: seconds(report.durationMs) }
  const properties = {
    mode: report.mode,
    isolation: describeIsolation(report.command, report.isolation).line.replace(/^isolation: /, ''),
    ...opts.properties,
  }
  return renderDocument({ command: report.command, counts, timestamp: report.startedAt, properties, cases: cases.map(renderCase) })
}

/** The document around the test cases: one `<testsuite>` for the command inside `<testsuites>`. */
const renderDocument = (doc: {
  readonly command: string
  readonly counts: Readonly<Record<string, string | number>>
  readonly timestamp: string
  readonly properties: Readonly<Record<string, string>>
  readonly cases: readonly string[]
}): string => [
  '<?xml version="1.0" encoding="UTF-8"?>',
  `${openTag('testsuites', { name: 'safe-install', ...doc.counts })}>`,
  `  ${openTag('testsuite', { name: `safe-install ${doc.command}`, ...doc.counts, timestamp: doc.timestamp })}>`,
  '    <properties>',
  ...Object.entries(doc.properties).map(([name, value]) => `      ${openTag('property', { name, value })}/>`),
  '    </properties>',
  ...doc.cases,
  '  </testsuite>',
  '</testsuites>',
  '',
].join('\n')

export interface JunitErrorInput {
  /** The command that stopped, e.g. `ci`. */
  readonly command: string
  /** The error code (EUSAGE, EPOLICY, EISOLATION ...) and the exit code it maps to. */
  readonly code: string
  readonly exitCode: number
  readonly message: string
  readonly hint?: string | undefined
  readonly startedAt: string
  readonly properties?: Readonly<Record<string, string>>
}

/**
 * A run that stopped before it had a report (a bad flag or policy, an unmet
 * `--require-isolation` ...): one test case in error, so a CI test view shows the failure and
 * its fix instead of a missing file or an empty suite. Pure.
 */
export const renderJunitError = (input: JunitErrorInput): string => {
  const counts = { tests: 1, failures: 0, errors: 1, skipped: 0, time: seconds(0) }
  const body = input.hint === undefined ? input.message : `${input.message}\nFix: ${input.hint}`
  return renderDocument({
    command: input.command, counts, timestamp: input.startedAt, properties: { 'exit-code': String(input.exitCode), ...input.properties },
    cases: [
      `    ${openTag('testcase', { classname: 'safe-install', name: input.command, time: seconds(0) })}>`,
      `      ${openTag('error', { type: input.code, message: input.message })}>${xmlText(body)}</error>`,
      '    </testcase>',
    ],
  })
}

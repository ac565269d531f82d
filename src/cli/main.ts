import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, SafeInstallError, exitCodeFor } from '../errors.js'
import { RunControl } from '../run-control.js'
import { stripControlInline } from '../report/sanitize.js'
import type { ScriptCoverage } from '../audit/run-audit.js'
import { renderCodeQuality } from '../report/codequality.js'
import { renderSarif } from '../report/sarif.js'
import type { Report, Severity, UnreviewedMode } from '../types.js'
import { auditCommand, dbCommand } from './commands/audit.js'
import { ciCommand } from './commands/ci.js'
import { doctorCommand } from './commands/doctor.js'
import { installCommand } from './commands/install.js'
import { policyCommand } from './commands/policy.js'
import { rebuildCommand } from './commands/rebuild.js'
import { guardServiceCommands } from '../ci/log-commands.js'
import { ciContextOf, reportCiFailure, writeFailureJunit, shieldStdout, writeCiOutputs, type CiContext } from './ci-output.js'
import { useColor } from './color.js'
import { toNpmArgs } from './options.js'
import { createProgress, progressMode } from './progress.js'
import { auditPlaces, installPlaces, renderFor, sarifForAudit, type OutputFormat } from './render.js'
import { writeFileAtomic } from './write-output.js'
import { renderJson } from '../report/json.js'
import type { ReviewDecision } from './policy-output.js'
import { saveLastReport } from '../policy/last-report.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const STARTED = new Date()
const SELF_BIN = fileURLToPath(new URL('../../bin/safe-install.js', import.meta.url))

/** Rules whose error findings explain a failed install (exit 3 otherwise means "no violation explains it"). */
const FAILURE_ONLY_RULES = new Set(['script-failed', 'script-timeout'])

interface InstallArgs {
  readonly _: ReadonlyArray<string | number>
  readonly specs?: string[]
  readonly names?: string[]
  readonly policy?: string
  readonly mode: 'enforce' | 'report'
  readonly report?: string
  readonly sarif?: string
  readonly junit?: string
  readonly codequality?: string
  readonly format: OutputFormat
  readonly 'require-isolation': boolean
  readonly unreviewed?: UnreviewedMode
  readonly quiet: boolean
  readonly verbose: boolean
  readonly color?: boolean
  readonly [key: string]: unknown
}

/** Colour for what goes to `stream` (stdout unless said): src/cli/color.ts. */
const colorFor = (flag: boolean | undefined, stream: { readonly isTTY?: boolean } = process.stdout): boolean => useColor(flag, process.env, stream)

/** Workflow commands go where the machine-readable output is not: stdout for text, else stderr. */
const printAnnotations = (format: OutputFormat, annotations: string, warnings: readonly string[]): void => {
  for (const warning of warnings) process.stderr.write(`safe-install: warning: ${warning}\n`)
  if (annotations !== '') (format === 'text' ? process.stdout : process.stderr).write(annotations)
}

const runInstallLike = async (command: 'install' | 'ci' | 'rebuild', args: InstallArgs, ci: CiContext): Promise<number> => {
  const control = new RunControl()
  const progress = createProgress({
    mode: progressMode({
      quiet: args.quiet, isTTY: process.stderr.isTTY, ci: ci.detection.kind === 'ci', term: process.env['TERM'], textFormat: args.format === 'text',
    }),
    stream: process.stderr,
    color: colorFor(args.color, process.stderr),
    verbose: args.verbose,
  })
  const onSignal = (): void => {
    progress.stop()
    control.interrupt()
    process.stderr.write('\nsafe-install: interrupted; running scripts were killed and temporary files removed\n')
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // Whatever ends the process, the terminal gets its cursor back and no half-drawn block.
  process.once('exit', progress.stop)
  const interactive = !args.quiet && args.format === 'text'
  // Loaded here, not at start-up: `audit` must not pay for Arborist and the sandbox.
  const { runPipeline } = await import('../pipeline.js')
  let degraded: { reason: string; fix: string } | undefined
  const result = await runPipeline({
    command,
    cwd: process.cwd(),
    specs: (command === 'rebuild' ? args.names : args.specs) ?? [],
    npmArgs: toNpmArgs(args),
    mode: args.mode,
    requireIsolation: args['require-isolation'],
    ...(args.unreviewed === undefined ? {} : { unreviewed: args.unreviewed }),
    ...(args.policy === undefined ? {} : { policyFile: args.policy }),
    env: process.env,
    execPath: process.execPath,
    selfBin: SELF_BIN,
    version: VERSION,
    control,
    onDegraded: ({ reason, fix }: { reason: string; fix: string }) => {
      degraded = { reason, fix }
      if (!args.quiet) progress.print(`safe-install: warning: running without the namespace sandbox: ${stripControlInline(reason)}\n  fix: ${fix}\n`)
    },
    onHookStart: progress.started,
    onHook: progress.ended,
    onHooksPlanned: progress.planned,
    ...(interactive ? { echoRoot: progress.print } : {}),
  }).finally(progress.stop)
  const { report, failure, prefix } = result
  await saveLastReport(prefix, renderJson(report), writeFileAtomic)
  const places = await installPlaces(prefix, ci.repoPath)
  if (args.report !== undefined) await writeFileAtomic(args.report, renderJson(report))
  if (args.sarif !== undefined) await writeFileAtomic(args.sarif, renderSarif(report, places))
  if (args.codequality !== undefined) await writeFileAtomic(args.codequality, renderCodeQuality(report, places))
  const { annotations, warnings } = await writeCiOutputs({
    ci, report, places, degraded, junit: args.junit, failOn: ['error'], title: `safe-install ${command}`,
    ...(failure === null ? {} : { failure: failure.message }),
  })
  const color = colorFor(args.color)
  const out = await renderFor(args.format, report, { prefix, repoPath: ci.repoPath, color, verbose: args.verbose })
  if (!(args.quiet && args.format === 'text')) process.stdout.write(args.format === 'text' ? shieldStdout(ci, out) : out)
  else process.stdout.write(summaryLine(report))
  printAnnotations(args.format, annotations, warnings)
  if (failure !== null) {
    process.stderr.write(`safe-install: install failed: ${stripControlInline(failure.message)}\n`)
    return violations(report) > 0 ? EXIT_FINDINGS : exitCodeFor('EINSTALL')
  }
  return report.summary.findings.error > 0 ? EXIT_FINDINGS : EXIT_OK
}

const violations = (report: Report): number =>
  report.findings.filter((f) => f.severity === 'error' && !FAILURE_ONLY_RULES.has(f.rule)).length

interface AuditArgs {
  readonly lockfile?: string
  readonly 'malware-db'?: string
  readonly 'allowed-host'?: string[]
  readonly 'fail-on': 'error' | 'warning' | 'none'
  readonly 'npm-cache': boolean
  readonly report?: string
  readonly sarif?: string
  readonly junit?: string
  readonly codequality?: string
  readonly format: OutputFormat
  readonly quiet: boolean
  readonly verbose: boolean
  readonly color?: boolean
}

const FAILING: Readonly<Record<AuditArgs['fail-on'], readonly Severity[]>> = { error: ['error'], warning: ['error', 'warning'], none: [] }

const runAuditCommand = async (args: AuditArgs, ci: CiContext): Promise<number> => {
  const { runAudit } = await import('../audit/run-audit.js')
  const result = await runAudit({
    cwd: process.cwd(), env: process.env, execPath: process.execPath, version: VERSION,
    ...(args.lockfile === undefined ? {} : { lockfile: args.lockfile }),
    allowedHosts: args['allowed-host'] ?? [],
    ...(args['malware-db'] === undefined ? {} : { malwareDb: args['malware-db'] }),
    npmCache: args['npm-cache'],
  })
  if (!args.quiet && args.format === 'text') {
    process.stderr.write('file' in result.malware
      ? `safe-install: malware database ${result.malware.file}: ${result.malware.count} advisories, built ${result.malware.builtAt}\n`
      : `safe-install: no malware database (${result.malware.missing}): known-malicious versions were not checked; import one with safe-install db import <dir|zip>\n`)
    process.stderr.write(coverageLines(result.coverage))
  }
  const { report, lockfilePath } = result
  const places = auditPlaces(lockfilePath, ci.repoPath)
  if (args.report !== undefined) await writeFileAtomic(args.report, renderJson(report))
  if (args.sarif !== undefined) await writeFileAtomic(args.sarif, sarifForAudit(report, lockfilePath, ci.repoPath))
  if (args.codequality !== undefined) await writeFileAtomic(args.codequality, renderCodeQuality(report, places))
  const failOn = FAILING[args['fail-on']]
  const { annotations, warnings } = await writeCiOutputs({
    ci, report, places, degraded: undefined, junit: args.junit, failOn, title: 'safe-install audit', lockfile: places.lockfilePath,
  })
  const out = args.format === 'sarif' ? sarifForAudit(report, lockfilePath, ci.repoPath)
    : await renderFor(args.format, report, { prefix: process.cwd(), repoPath: ci.repoPath, color: colorFor(args.color), verbose: args.verbose })
  if (!(args.quiet && args.format === 'text')) process.stdout.write(args.format === 'text' ? shieldStdout(ci, out) : out)
  else process.stdout.write(`safe-install: audit of ${lockfilePath}: ${report.summary.packages} entries, ${report.summary.findings.error} errors, ${report.summary.findings.warning} warnings\n`)
  printAnnotations(args.format, annotations, warnings)
  return report.findings.some((f) => failOn.includes(f.severity)) ? EXIT_FINDINGS : EXIT_OK
}

/** Where the audit learnt about install scripts, and what it could not review: said, never hidden. */
const coverageLines = (coverage: ScriptCoverage): string => {
  const sources = [
    ...(coverage.recorded > 0 ? [`${coverage.recorded} from the lockfile`] : []),
    ...(coverage.installed > 0 ? [`${coverage.installed} from node_modules`] : []),
    ...(coverage.cached > 0 ? [`${coverage.cached} from npm's cache`] : []),
  ]
  const lines = [`safe-install: install scripts known for ${sources.length === 0 ? 'no entries' : sources.join(', ')}; script content analysed for ${coverage.analysed} packages`]
  if (coverage.unknown > 0) {
    lines.push(`safe-install: warning: ${coverage.unknown} entries: this lockfile does not record install scripts and neither node_modules nor npm's cache holds them; their install scripts were not reviewed`
      + '\n  fix: run the audit after an install (node_modules present) or after npm ci --ignore-scripts has filled npm\'s cache')
  }
  if (coverage.notAnalysed > 0) lines.push(`safe-install: ${coverage.notAnalysed} packages with install scripts are neither installed nor in npm's cache: their script content was not analysed`)
  for (const problem of coverage.cacheProblems.slice(0, 5)) lines.push(`safe-install: warning: ${stripControlInline(problem.entry)}: ${problem.reason}`)
  return `${lines.join('\n')}\n`
}

const runDbImport = async (args: { readonly source: string; readonly out?: string }): Promise<number> => {
  const [{ importDatabase }, { defaultIndexPath }] = await Promise.all([import('../audit/malware-db/index.js'), import('../audit/malware-db/default-path.js')])
  const out = args.out ?? defaultIndexPath(process.env)
  const result = await importDatabase(args.source, out)
  const { stats, iocs, problems } = result
  process.stdout.write(`safe-install: imported ${result.count} malicious-package advisories for ${result.packages} packages into ${out}\n`
    + `  read ${stats.documents} documents: ${stats.withdrawn} withdrawn, ${stats.otherEcosystem} other ecosystems, ${stats.notMalicious} not malware, ${stats.duplicates} duplicates, ${stats.malformed} malformed\n`
    + `  indicators of compromise: ${iocs.domains} domains and ${iocs.ips} addresses, refused by the egress proxy of every install\n`
    + problems.slice(0, 5).map((p) => `  skipped ${stripControlInline(p.file)}: ${stripControlInline(p.reason)}\n`).join(''))
  return EXIT_OK
}

interface PolicyArgs {
  readonly action: 'ls' | 'review' | 'approve' | 'deny' | 'prune' | 'import' | 'learn'
  readonly yes: boolean
  readonly grants: boolean
  readonly 'from-report'?: string
  readonly 'pin-version': boolean
  readonly 'allow-violations': boolean
  readonly report?: string
  readonly policy?: string
  readonly packages?: string[]
  readonly all: boolean
  readonly pin: boolean
  readonly 'dry-run': boolean
  readonly json: boolean
  readonly from?: 'auto' | 'pnpm' | 'bun' | 'yarn' | 'lavamoat'
}

const runPolicyCommand = async (args: PolicyArgs): Promise<number> => {
  // Loaded here: the policy commands read the installed tree with Arborist.
  if (args.action === 'ls') {
    if ((args.packages ?? []).length > 0 || args.all) throw new SafeInstallError('EUSAGE', 'policy ls takes no package names and no --all', 'safe-install policy ls')
    const [{ listPolicy }, { renderListingJson, renderListingText }] = await Promise.all([import('../policy/list-policy.js'), import('./policy-output.js')])
    const listing = await listPolicy({
      cwd: process.cwd(), env: process.env, execPath: process.execPath,
      ...(args.report === undefined ? {} : { reportFile: args.report }), ...(args.policy === undefined ? {} : { policyFile: args.policy }),
    })
    process.stdout.write(args.json ? renderListingJson(listing) : renderListingText(listing))
    return EXIT_OK
  }
  if (args.action === 'review') return runPolicyReview(args)
  if (args.action === 'learn') {
    const fromReport = args['from-report']
    if (fromReport === undefined) throw new SafeInstallError('EUSAGE', 'policy learn needs --from-report <file>', 'safe-install install --mode report --report run.json, then safe-install policy learn --from-report run.json')
    const { runPolicyLearn } = await import('./commands/policy-learn.js')
    const outcome = await runPolicyLearn({
      'from-report': fromReport, ...(args.policy === undefined ? {} : { policy: args.policy }), 'dry-run': args['dry-run'], json: args.json,
      'pin-version': args['pin-version'], 'allow-violations': args['allow-violations'],
    }, { cwd: process.cwd(), env: process.env })
    process.stdout.write(outcome.stdout)
    return outcome.exitCode
  }
  if (args['from-report'] !== undefined) throw new SafeInstallError('EUSAGE', '--from-report applies to `policy learn` only', 'safe-install policy learn --from-report run.json')
  if (args.report !== undefined || args.policy !== undefined || args.yes) {
    throw new SafeInstallError('EUSAGE', '--report and --policy apply to `policy ls` and `policy review`, --yes to `policy review`', 'safe-install policy review --yes')
  }
  const [{ runPolicy }, { renderPolicyJson, renderPolicyText }] = await Promise.all([import('../policy/run-policy.js'), import('./policy-output.js')])
  const result = await runPolicy({
    action: args.action, packages: args.packages ?? [], all: args.all, pin: args.pin, dryRun: args['dry-run'],
    ...(args.from === undefined ? {} : { from: args.from }),
    cwd: process.cwd(), env: process.env, execPath: process.execPath,
  })
  if (!args.json) for (const warning of result.warnings) process.stderr.write(`safe-install: warning: ${stripControlInline(warning)}\n`)
  process.stdout.write(args.json ? renderPolicyJson(result) : renderPolicyText(result))
  return EXIT_OK
}

/**
 * `policy review`: the pending scripts run in a disposable copy (src/policy/review.ts), then a
 * decision per package: asked on a terminal, `--yes` approves the clean ones, otherwise nothing is
 * decided. Approvals and denials are written by the same code as `policy approve|deny`.
 */
const runPolicyReview = async (args: PolicyArgs): Promise<number> => {
  if (args.all || args.policy !== undefined) throw new SafeInstallError('EUSAGE', 'policy review takes package names (default: every pending one), not --all or --policy', 'safe-install policy review esbuild')
  const [{ runReview }, { runPipeline }, output, { runPolicy }] = await Promise.all([
    import('../policy/review.js'), import('../pipeline.js'), import('./policy-output.js'), import('../policy/run-policy.js'),
  ])
  const control = new RunControl()
  const review = await runReview({
    cwd: process.cwd(), env: process.env, execPath: process.execPath, packages: args.packages ?? [],
    run: (options) => runPipeline({ ...options, npmArgs: [], env: process.env, execPath: process.execPath, selfBin: SELF_BIN, version: VERSION, control }),
  })
  if (args.report !== undefined && review.report !== undefined) await writeFileAtomic(args.report, renderJson(review.report))
  if (!args.json) process.stdout.write(output.renderReviewText(review))
  const decisions: ReviewDecision[] = []
  const ask = !args.yes && !args.json && process.stdin.isTTY && process.stdout.isTTY
  const prompt = ask ? (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stdout }) : undefined
  try {
    for (const pkg of review.packages) {
      if (args.yes) {
        decisions.push(pkg.clean
          ? { name: pkg.name, decision: 'approved', reason: 'its scripts did nothing the rules flag (--yes)' }
          : args.grants ? { name: pkg.name, decision: 'approved-with-grants', reason: 'approved with the grants its run needed (--yes --grants), unless it did something never granted' }
            : { name: pkg.name, decision: 'skipped', reason: 'findings or a failed script: left for a person (--yes approves clean packages only; --grants approves with what it needed)' })
        continue
      }
      if (prompt === undefined) {
        decisions.push({ name: pkg.name, decision: 'skipped', reason: 'no terminal to ask: pass --yes, or approve/deny it with safe-install policy approve|deny' })
        continue
      }
      const answer = (await prompt.question(`${stripControlInline(pkg.name)}@${stripControlInline(pkg.version)}: [a]pprove and pin, approve with the [g]rants it needed, [d]eny, [s]kip? `)).trim().toLowerCase()
      decisions.push(answer.startsWith('a') ? { name: pkg.name, decision: 'approved', reason: 'approved after review' }
        : answer.startsWith('g') ? { name: pkg.name, decision: 'approved-with-grants', reason: 'approved with the grants its run needed' }
        : answer.startsWith('d') ? { name: pkg.name, decision: 'denied', reason: 'denied after review' }
          : { name: pkg.name, decision: 'skipped', reason: 'skipped' })
    }
  } finally {
    prompt?.close()
  }
  if (review.report !== undefined) await learnForReview(review.report, decisions, review.prefix, args, output.renderDecisionGrants)
  for (const [decision, action] of [['approved', 'approve'], ['denied', 'deny']] as const) {
    const names = decisions.filter((d) => d.decision === decision).map((d) => d.name)
    if (names.length === 0) continue
    const result = await runPolicy({ action, packages: names, all: false, pin: args.pin, dryRun: args['dry-run'], cwd: process.cwd(), env: process.env, execPath: process.execPath })
    if (!args.json) process.stdout.write(output.renderPolicyText(result))
  }
  if (args.json) process.stdout.write(output.renderReviewJson(review, decisions))
  else for (const d of decisions.filter((x) => x.decision === 'skipped')) process.stdout.write(`skipped ${stripControlInline(d.name)}: ${d.reason}\n`)
  return EXIT_OK
}

/**
 * `approved-with-grants`: `policy learn` on the review run, narrowed to that package, writes the
 * grants it needed; a package whose run did something never granted (a credential read ...) is
 * not approved. Decisions are updated in place: approved or skipped, with the reason.
 */
const learnForReview = async (
  report: Report, decisions: ReviewDecision[], prefix: string, args: PolicyArgs,
  render: (name: string, text: string) => string,
): Promise<void> => {
  const { runPolicyLearn } = await import('./commands/policy-learn.js')
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-review-learn-'))
  try {
    for (const [index, decision] of decisions.entries()) {
      if (decision.decision !== 'approved-with-grants') continue
      const mine = (p: { name: string }): boolean => p.name === decision.name
      if (!report.packages.some((p) => mine(p) && p.scripts.length > 0)) {
        decisions[index] = { name: decision.name, decision: 'skipped', reason: 'its scripts did not run in the review, so there is nothing to approve it on' }
        continue
      }
      const narrowed: Report = { ...report, packages: report.packages.filter(mine), egress: report.egress.filter((e) => mine(e.package)), findings: report.findings.filter((f) => mine(f.package)) }
      const file = join(dir, `${index}.json`)
      await writeFile(file, renderJson(narrowed))
      const learnt = await runPolicyLearn({
        'from-report': file, policy: join(prefix, 'safe-install.policy.json'), 'dry-run': args['dry-run'], json: false, 'pin-version': false, 'allow-violations': false,
      }, { cwd: prefix, env: process.env })
      if (!args.json) process.stdout.write(render(decision.name, learnt.stdout))
      decisions[index] = learnt.exitCode === 0
        ? { name: decision.name, decision: 'approved', reason: 'approved with the grants its review run needed' }
        : { name: decision.name, decision: 'skipped', reason: 'its review run did something that is never granted (see above): not approved' }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

interface DoctorArgs {
  readonly format: 'text' | 'json'
  readonly 'require-isolation': boolean
  readonly verbose: boolean
  readonly color?: boolean
}

const runDoctorCommand = async (args: DoctorArgs): Promise<number> => {
  // Loaded here, not at start-up, like audit: other commands do not pay for it.
  const [{ runDoctor }, { renderDoctorJson, renderDoctorText }] = await Promise.all([import('../doctor/run-doctor.js'), import('../doctor/render.js')])
  const result = await runDoctor({ env: process.env, cwd: process.cwd(), execPath: process.execPath, version: VERSION })
  process.stdout.write(args.format === 'json' ? renderDoctorJson(result) : renderDoctorText(result, { color: colorFor(args.color), verbose: args.verbose }))
  const strict = result.sandbox.requireIsolation
  if (args['require-isolation'] && !strict.wouldPass) {
    throw new SafeInstallError('EISOLATION', strict.reason ?? 'the namespace sandbox could not be set up', strict.fix ?? undefined)
  }
  return EXIT_OK
}

const summaryLine = (report: Report): string => {
  const { scriptsRun, findings } = report.summary
  return `safe-install: ${report.command}: ${scriptsRun} scripts run, ${findings.error} errors, ${findings.warning} warnings\n`
}

const main = async (ci: CiContext): Promise<number> => {
  let exitCode = EXIT_OK
  const handler = (command: 'install' | 'ci' | 'rebuild') => async (args: unknown): Promise<void> => {
    exitCode = await runInstallLike(command, args as InstallArgs, ci)
  }
  await yargs(hideBin(process.argv))
    .scriptName('safe-install')
    .usage('$0 [command] [options]\n\nnpm install, with every dependency install script run in a sandbox.')
    .command({ ...installCommand, command: [...installCommand.command, '$0'], handler: handler('install') })
    .command({ ...ciCommand, handler: handler('ci') })
    .command({ ...rebuildCommand, handler: handler('rebuild') })
    .command({ ...auditCommand, handler: async (args: unknown) => { exitCode = await runAuditCommand(args as AuditArgs, ci) } })
    .command({ ...policyCommand, handler: async (args: unknown) => { exitCode = await runPolicyCommand(args as PolicyArgs) } })
    .command({ ...doctorCommand, handler: async (args: unknown) => { exitCode = await runDoctorCommand(args as DoctorArgs) } })
    .command({ ...dbCommand, handler: async (args: unknown) => { exitCode = await runDbImport(args as { source: string; out?: string }) } })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .alias('v', 'version')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error !== undefined) throw error
      throw new SafeInstallError('EUSAGE', asTyped(message ?? 'invalid command line'), 'run safe-install --help for the options')
    })
    .parseAsync()
  return exitCode
}

/** yargs names `--no-x` as `x`; show unknown flags the way the user typed them. */
const asTyped = (message: string): string => {
  const match = /^Unknown arguments?: (.*)$/.exec(message)
  if (match?.[1] === undefined) return message
  const names = match[1].split(', ')
  const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  const typed = names.filter((name) => name === kebab(name) || !names.includes(kebab(name))).map((name) =>
    process.argv.slice(2).find((arg) => new RegExp(`^--?(no-)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(=|$)`).test(arg))?.split('=')[0] ?? name)
  return `unknown option${typed.length > 1 ? 's' : ''}: ${typed.join(', ')}`
}

const reportError = async (error: unknown, ci: CiContext): Promise<number> => {
  if (error instanceof SafeInstallError) {
    const exitCode = exitCodeFor(error.code)
    process.stderr.write(`safe-install: ${stripControlInline(error.message)}\n`)
    if (error.hint !== undefined) process.stderr.write(`  fix: ${error.hint}\n`)
    process.stderr.write(reportCiFailure(ci, error, exitCode))
    const unwritten = await writeFailureJunit(ci, hideBin(process.argv), error, exitCode, STARTED)
    if (unwritten !== undefined) process.stderr.write(`safe-install: warning: ${stripControlInline(unwritten)}\n`)
    return exitCode
  }
  const where = (error as Error).stack?.split('\n').slice(0, 4).join('\n') ?? String(error)
  process.stderr.write(`safe-install: internal error (a bug, please report it with this trace):\n${where}\n`)
  return EXIT_INTERNAL
}

// Before anything is printed: no package text may reach an Azure or TeamCity agent as a command.
guardServiceCommands(process.stdout)
guardServiceCommands(process.stderr)
const ci = ciContextOf(process.env, process.cwd())
main(ci).then(
  (code) => { process.exitCode = code },
  async (error: unknown) => { process.exitCode = await reportError(error, ci) },
)

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, SafeInstallError, exitCodeFor } from '../errors.js'
import { RunControl } from '../run-control.js'
import { stripControlInline } from '../report/sanitize.js'
import type { ScriptCoverage } from '../audit/run-audit.js'
import type { Report, ScriptRun, UnreviewedMode } from '../types.js'
import { auditCommand, dbCommand } from './commands/audit.js'
import { ciCommand } from './commands/ci.js'
import { installCommand } from './commands/install.js'
import { policyLearnCommand, runPolicyLearn, type PolicyLearnArgs } from './commands/policy-learn.js'
import { rebuildCommand } from './commands/rebuild.js'
import { toNpmArgs } from './options.js'
import { renderFor, sarifFor, sarifForAudit, type OutputFormat } from './render.js'
import { writeFileAtomic } from './write-output.js'
import { renderJson } from '../report/json.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
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
  readonly format: OutputFormat
  readonly 'require-isolation': boolean
  readonly unreviewed?: UnreviewedMode
  readonly quiet: boolean
  readonly verbose: boolean
  readonly color?: boolean
  readonly [key: string]: unknown
}

const useColor = (flag: boolean | undefined): boolean => {
  if (flag !== undefined) return flag
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false
  if (process.env['FORCE_COLOR'] !== undefined) return process.env['FORCE_COLOR'] !== '0'
  return process.stdout.isTTY
}

const hookLine = (run: ScriptRun): string => {
  const { pkg, outcome } = run
  const id = `${pkg.name}${pkg.version === '' ? '' : `@${pkg.version}`}`
  const time = outcome.durationMs > 0 ? ` (${(outcome.durationMs / 1000).toFixed(1)}s)` : ''
  return stripControlInline(`safe-install: ${id} ${outcome.event}: ${outcome.outcome}${time}`)
}

const runInstallLike = async (command: 'install' | 'ci' | 'rebuild', args: InstallArgs): Promise<number> => {
  const control = new RunControl()
  const onSignal = (): void => {
    control.interrupt()
    process.stderr.write('\nsafe-install: interrupted; running scripts were killed and temporary files removed\n')
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const interactive = !args.quiet && args.format === 'text'
  // Loaded here, not at start-up: `audit` must not pay for Arborist and the sandbox.
  const { runPipeline } = await import('../pipeline.js')
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
    ...(args.quiet ? {} : {
      onDegraded: ({ reason, fix }: { reason: string; fix: string }) =>
        process.stderr.write(`safe-install: warning: running without the namespace sandbox: ${stripControlInline(reason)}\n  fix: ${fix}\n`),
    }),
    ...(interactive
      ? { onHook: (run: ScriptRun) => process.stderr.write(`${hookLine(run)}\n`), echoRoot: (text: string) => process.stderr.write(text) }
      : {}),
  })
  const { report, failure, prefix } = result
  if (args.report !== undefined) await writeFileAtomic(args.report, renderJson(report))
  if (args.sarif !== undefined) await writeFileAtomic(args.sarif, await sarifFor(report, prefix, process.cwd()))
  const color = useColor(args.color)
  const out = await renderFor(args.format, report, { prefix, cwd: process.cwd(), color, verbose: args.verbose })
  if (!(args.quiet && args.format === 'text')) process.stdout.write(out)
  else process.stdout.write(summaryLine(report))
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
  readonly format: OutputFormat
  readonly quiet: boolean
  readonly verbose: boolean
  readonly color?: boolean
}

const runAuditCommand = async (args: AuditArgs): Promise<number> => {
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
  if (args.report !== undefined) await writeFileAtomic(args.report, renderJson(report))
  if (args.sarif !== undefined) await writeFileAtomic(args.sarif, sarifForAudit(report, lockfilePath))
  const out = args.format === 'sarif' ? sarifForAudit(report, lockfilePath)
    : await renderFor(args.format, report, { prefix: process.cwd(), cwd: process.cwd(), color: useColor(args.color), verbose: args.verbose })
  if (!(args.quiet && args.format === 'text')) process.stdout.write(out)
  else process.stdout.write(`safe-install: audit of ${lockfilePath}: ${report.summary.packages} entries, ${report.summary.findings.error} errors, ${report.summary.findings.warning} warnings\n`)
  const { error, warning } = report.summary.findings
  const failing = args['fail-on'] === 'none' ? 0 : args['fail-on'] === 'warning' ? error + warning : error
  return failing > 0 ? EXIT_FINDINGS : EXIT_OK
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

const summaryLine = (report: Report): string => {
  const { scriptsRun, findings } = report.summary
  return `safe-install: ${report.command}: ${scriptsRun} scripts run, ${findings.error} errors, ${findings.warning} warnings\n`
}

const main = async (): Promise<number> => {
  let exitCode = EXIT_OK
  const handler = (command: 'install' | 'ci' | 'rebuild') => async (args: unknown): Promise<void> => {
    exitCode = await runInstallLike(command, args as InstallArgs)
  }
  await yargs(hideBin(process.argv))
    .scriptName('safe-install')
    .usage('$0 [command] [options]\n\nnpm install, with every dependency install script run in a sandbox.')
    .command({ ...installCommand, command: [...installCommand.command, '$0'], handler: handler('install') })
    .command({ ...ciCommand, handler: handler('ci') })
    .command({ ...rebuildCommand, handler: handler('rebuild') })
    .command({ ...auditCommand, handler: async (args: unknown) => { exitCode = await runAuditCommand(args as AuditArgs) } })
    .command({ ...dbCommand, handler: async (args: unknown) => { exitCode = await runDbImport(args as { source: string; out?: string }) } })
    .command({
      command: 'policy',
      describe: 'grants of safe-install.policy.json',
      builder: (y) => y.command({
        ...policyLearnCommand,
        handler: async (args: unknown) => {
          const outcome = await runPolicyLearn(args as PolicyLearnArgs, { cwd: process.cwd(), env: process.env })
          process.stdout.write(outcome.stdout)
          exitCode = outcome.exitCode
        },
      }).demandCommand(1, 'name a policy action: learn'),
      handler: () => undefined,
    })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
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

const reportError = (error: unknown): number => {
  if (error instanceof SafeInstallError) {
    process.stderr.write(`safe-install: ${stripControlInline(error.message)}\n`)
    if (error.hint !== undefined) process.stderr.write(`  fix: ${error.hint}\n`)
    return exitCodeFor(error.code)
  }
  const where = (error as Error).stack?.split('\n').slice(0, 4).join('\n') ?? String(error)
  process.stderr.write(`safe-install: internal error (a bug, please report it with this trace):\n${where}\n`)
  return EXIT_INTERNAL
}

main().then(
  (code) => { process.exitCode = code },
  (error: unknown) => { process.exitCode = reportError(error) },
)

import { randomBytes } from 'node:crypto'
import { appendFileSync, statSync } from 'node:fs'
import { detectCi, type CiDetection, type CiProvider } from '../ci/detect.js'
import { renderAnnotations, type Degraded } from '../ci/github.js'
import { inertText } from '../ci/markdown.js'
import { repoPathResolver } from '../ci/repo-path.js'
import { renderStepSummary, SUMMARY_BUDGET_BYTES } from '../ci/step-summary.js'
import { fenceUntrusted, formatAnnotation } from '../ci/workflow-command.js'
import type { SafeInstallError } from '../errors.js'
import { renderJunit, renderJunitError } from '../report/junit.js'
import type { FindingPlaces } from '../report/locate.js'
import type { Report, Severity } from '../types.js'
import type { RepoPath } from './render.js'
import { writeFileAtomic } from './write-output.js'

/** GitHub refuses a step summary file larger than this. */
const STEP_SUMMARY_LIMIT = 1024 * 1024
/** Below this much room we write nothing rather than a stub. */
const STEP_SUMMARY_MIN = 4096

/** Whether this run already wrote its `--junit` file (a later error must not replace it). */
let junitWritten = false

/** Where this run is and what CI output it owes. */
export interface CiContext {
  readonly detection: CiDetection
  /** GitHub Actions: annotations on, and paths relative to GITHUB_WORKSPACE. */
  readonly github: boolean
  readonly stepSummary: string | undefined
  readonly repoPath: RepoPath
}

/**
 * The variable each service sets to the repository checkout: annotations, SARIF and Code Quality
 * paths are relative to it, which is what the service resolves them against.
 */
const CHECKOUT_VARIABLE: Readonly<Partial<Record<CiProvider, string>>> = {
  'github-actions': 'GITHUB_WORKSPACE',
  'gitlab-ci': 'CI_PROJECT_DIR',
  'azure-pipelines': 'BUILD_SOURCESDIRECTORY',
  buildkite: 'BUILDKITE_BUILD_CHECKOUT_PATH',
  jenkins: 'WORKSPACE',
}

export const ciContextOf = (env: Readonly<Record<string, string | undefined>>, cwd: string): CiContext => {
  const detection = detectCi(env)
  const github = detection.kind === 'ci' && detection.provider === 'github-actions'
  const summary = env['GITHUB_STEP_SUMMARY']
  return {
    detection,
    github,
    stepSummary: github && summary !== undefined && summary !== '' ? summary : undefined,
    repoPath: repoPathResolver(cwd, detection.kind === 'ci' ? env[CHECKOUT_VARIABLE[detection.provider] ?? ''] : undefined),
  }
}

/**
 * Text for stdout, with its package-controlled lines fenced off from the GitHub runner
 * (src/ci/workflow-command.ts); unchanged outside GitHub Actions. JSON and SARIF need no fence:
 * a string in them never starts a line.
 */
export const shieldStdout = (ci: CiContext, text: string): string =>
  ci.github ? fenceUntrusted(text, randomBytes(16).toString('hex')) : text

export interface CiOutputInput {
  readonly ci: CiContext
  readonly report: Report
  readonly places: FindingPlaces
  readonly degraded: Degraded | undefined
  /** Why the install failed (exit 3), when it did. */
  readonly failure?: string
  /** `--junit <file>`. */
  readonly junit: string | undefined
  /** Severities that fail a JUnit case. */
  readonly failOn: readonly Severity[]
  /** Heading of the step summary, e.g. `safe-install ci`. */
  readonly title: string
  /** Audit: the lockfile reviewed (as the repository names it). */
  readonly lockfile?: string
}

/**
 * Write the JUnit file and append the step summary; return the annotation lines (empty outside
 * GitHub Actions) for the caller to print, and warnings about CI output that could not be written.
 */
export const writeCiOutputs = async (input: CiOutputInput): Promise<{ annotations: string; warnings: string[] }> => {
  const { ci, report } = input
  const name = input.ci.detection.kind === 'ci' ? input.ci.detection.name : undefined
  if (input.junit !== undefined) {
    await writeFileAtomic(input.junit, renderJunit(report, { failOn: input.failOn, ...(name === undefined ? {} : { properties: { ci: name } }) }))
    junitWritten = true
  }
  const warnings: string[] = []
  if (ci.stepSummary !== undefined) {
    const room = Math.min(SUMMARY_BUDGET_BYTES, STEP_SUMMARY_LIMIT - sizeOf(ci.stepSummary) - 1024)
    if (room < STEP_SUMMARY_MIN) {
      warnings.push(`step summary not written: $GITHUB_STEP_SUMMARY is already near GitHub's 1 MiB limit`)
    } else {
      const markdown = renderStepSummary(report, {
        title: input.title, budgetBytes: room, places: input.places,
        ...(name === undefined ? {} : { ci: name }),
        ...(input.degraded === undefined ? {} : { degraded: input.degraded }),
        ...(input.failure === undefined ? {} : { failure: input.failure }),
        ...(input.lockfile === undefined ? {} : { lockfile: input.lockfile }),
      })
      const failed = appendSummary(ci.stepSummary, markdown)
      if (failed !== undefined) warnings.push(failed)
    }
  }
  const annotations = ci.github
    ? renderAnnotations(report, {
      places: input.places,
      ...(input.degraded === undefined ? {} : { degraded: input.degraded }),
      ...(input.failure === undefined ? {} : { failure: input.failure }),
    })
    : []
  return { annotations: annotations.map((line) => `${line}\n`).join(''), warnings }
}

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** Append, never overwrite: other steps' tools write to the same file. */
const appendSummary = (file: string, markdown: string): string | undefined => {
  try {
    appendFileSync(file, `${sizeOf(file) > 0 ? '\n' : ''}${markdown}`, { mode: 0o644 })
    return undefined
  } catch (error) {
    return `step summary not written to $GITHUB_STEP_SUMMARY: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`
  }
}

/**
 * A run that stopped with a user-fixable error (bad flag, `--require-isolation` unmet ...): in
 * GitHub Actions an error annotation and a short step summary, so the failure is visible on the
 * run page and not only in the log. Returns the annotation line, or '' outside GitHub Actions.
 */
export const reportCiFailure = (ci: CiContext, error: SafeInstallError, exitCode: number): string => {
  if (!ci.github) return ''
  const title = error.code === 'EISOLATION' ? 'safe-install: namespace sandbox required' : `safe-install failed (exit ${exitCode})`
  if (ci.stepSummary !== undefined && sizeOf(ci.stepSummary) < STEP_SUMMARY_LIMIT - STEP_SUMMARY_MIN) {
    appendSummary(ci.stepSummary, [`## ${title}`, '', inertText(error.message, 1000), ...(error.hint === undefined ? [] : ['', `Fix: ${inertText(error.hint, 1000)}`]), ''].join('\n'))
  }
  return `${formatAnnotation('error', error.hint === undefined ? error.message : `${error.message}\nFix: ${error.hint}`, { title })}\n`
}

/** The commands that take `--junit`, by each name they answer to. */
const JUNIT_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['install', 'install'], ['i', 'install'], ['add', 'install'], ['ci', 'ci'], ['clean-install', 'ci'], ['rebuild', 'rebuild'], ['rb', 'rebuild'], ['audit', 'audit'],
])
const OTHER_COMMANDS = new Set(['policy', 'doctor', 'db'])

/**
 * `--junit <file>` and the command, read from the raw arguments: a run that stopped on a bad
 * flag never got its arguments parsed. Undefined when the command takes no `--junit`.
 */
export const junitRequest = (argv: readonly string[]): { file: string; command: string } | undefined => {
  let file: string | undefined
  const words: string[] = []
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!
    if (arg === '--') break
    if (arg.startsWith('--junit=')) file = arg.slice('--junit='.length)
    else if (arg === '--junit' && argv[index + 1] !== undefined && !argv[index + 1]!.startsWith('-')) file = argv[(index += 1)]
    else if (!arg.startsWith('-')) words.push(arg)
  }
  const first = words[0]
  // No command word, or a package spec, is the default command: install.
  const command = first === undefined ? 'install' : JUNIT_COMMANDS.get(first) ?? (OTHER_COMMANDS.has(first) ? undefined : 'install')
  return file === undefined || file === '' || command === undefined ? undefined : { file, command }
}

/**
 * `--junit` for a run that stopped with a user-fixable error before it had a report: one test
 * case in error with the message and the fix, so the CI's test view shows why. Returns a warning
 * when the file cannot be written, undefined otherwise.
 */
export const writeFailureJunit = async (ci: CiContext, argv: readonly string[], error: SafeInstallError, exitCode: number, startedAt: Date): Promise<string | undefined> => {
  const request = junitRequest(argv)
  if (request === undefined || junitWritten) return undefined
  const name = ci.detection.kind === 'ci' ? ci.detection.name : undefined
  try {
    await writeFileAtomic(request.file, renderJunitError({
      command: request.command, code: error.code, exitCode, message: error.message, hint: error.hint, startedAt: startedAt.toISOString(),
      ...(name === undefined ? {} : { properties: { ci: name } }),
    }))
    return undefined
  } catch (failure) {
    return (failure as Error).message
  }
}

import { posix } from 'node:path'
import type { Severity } from '../types.js'
import { readPolicyData } from './path-rules.js'

/** `none`: the program is not a finding (unless a case says otherwise). */
export type SpawnSeverity = Severity | 'none'

/** A case of policies/trace/notable-programs.json: every condition given must hold. */
export interface ProgramCase {
  /** Each regex must match at least one argument. */
  readonly args?: readonly string[]
  /** Must match the first argument (the empty string when there is none). */
  readonly first?: string
  /** Consecutive non-option arguments, each matched in full, anywhere on the command line. */
  readonly subcommand?: readonly string[]
  readonly severity: SpawnSeverity
  readonly description: string
}

/** One entry of policies/trace/notable-programs.json (schema: policies/trace/notable-programs.schema.json). */
export interface NotableProgramEntry {
  readonly id: string
  /** Executable basenames (`*` globs); the first is the canonical name. */
  readonly programs: readonly string[]
  /** Path suffixes (`*` globs) of the entry script when run as `node <script>`. */
  readonly scripts?: readonly string[]
  readonly severity: SpawnSeverity
  readonly description: string
  readonly cases?: readonly ProgramCase[]
  readonly sources?: readonly string[]
}

export interface NotableProgramsFile {
  readonly programs: readonly NotableProgramEntry[]
}

interface CompiledCase {
  readonly args: readonly RegExp[]
  readonly first: RegExp | undefined
  readonly subcommand: readonly RegExp[]
  readonly severity: SpawnSeverity
  readonly description: string
}

interface CompiledProgram {
  readonly entry: NotableProgramEntry
  readonly names: RegExp
  readonly scripts: RegExp | undefined
  readonly cases: readonly CompiledCase[]
}

/** The compiled catalogue: build it once per run with {@link loadProgramRules}. */
export interface ProgramRules {
  readonly entries: readonly CompiledProgram[]
}

export interface SpawnFinding {
  readonly rule: 'process-spawn'
  readonly severity: Severity
  readonly entryId: string
  /** What the script did, as a verb phrase: "ran curl (second-stage downloads ...)". */
  readonly description: string
}

const globBody = (glob: string): string => glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')

const regex = (source: string, where: string): RegExp => {
  try {
    return new RegExp(source, 'u')
  } catch (error) {
    throw new Error(`policies/trace/notable-programs.json: ${where}: bad regular expression`, { cause: error })
  }
}

const compileCase = (c: ProgramCase, where: string): CompiledCase => ({
  args: (c.args ?? []).map((source) => regex(source, where)),
  first: c.first === undefined ? undefined : regex(c.first, where),
  subcommand: (c.subcommand ?? []).map((source) => regex(`^(?:${source})$`, where)),
  severity: c.severity,
  description: c.description,
})

/** Compile a validated catalogue (pure). Throws on duplicate ids or programs and bad regexes. */
export const compileProgramRules = (file: NotableProgramsFile): ProgramRules => {
  const ids = new Set<string>()
  const names = new Set<string>()
  const entries = file.programs.map((entry) => {
    if (ids.has(entry.id)) throw new Error(`policies/trace/notable-programs.json: duplicate id "${entry.id}"`)
    ids.add(entry.id)
    for (const name of entry.programs) {
      if (names.has(name)) throw new Error(`policies/trace/notable-programs.json: "${name}" is listed twice`)
      names.add(name)
    }
    const scripts = entry.scripts === undefined || entry.scripts.length === 0 ? undefined
      : regex(`(?:^|/)(?:${entry.scripts.map(globBody).join('|')})$`, entry.id)
    return {
      entry,
      names: regex(`^(?:${entry.programs.map(globBody).join('|')})$`, entry.id),
      scripts,
      cases: (entry.cases ?? []).map((c, i) => compileCase(c, `${entry.id}.cases.${i}`)),
    }
  })
  return { entries }
}

/** Load and compile policies/trace/notable-programs.json, validated against its schema. */
export const loadProgramRules = (dir?: URL): ProgramRules =>
  compileProgramRules(readPolicyData<NotableProgramsFile>('notable-programs.json', 'notable-programs.schema.json', dir))

const NODE = new Set(['node', 'nodejs'])
const MULTICALL = new Set(['busybox', 'toybox'])
/** node options whose value is the next argument. */
const NODE_VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type', '--env-file', '--title'])
const NODE_EVAL = new Set(['-e', '--eval', '-p', '--print'])

/** Index of the script node runs, or -1 (inline code, REPL). */
const scriptIndex = (args: readonly string[]): number => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--') return i + 1 < args.length ? i + 1 : -1
    if (NODE_EVAL.has(arg) || arg.startsWith('--eval=') || arg.startsWith('--print=')) return -1
    if (NODE_VALUE_OPTIONS.has(arg)) i++
    else if (!arg.startsWith('-')) return i
  }
  return -1
}

interface Resolved {
  readonly name: string
  readonly program: CompiledProgram | undefined
  readonly args: readonly string[]
}

const byName = (name: string, rules: ProgramRules): CompiledProgram | undefined => rules.entries.find((p) => p.names.test(name))

const canonical = (program: CompiledProgram, name: string): string =>
  program.entry.programs.includes(name) ? name : (program.entry.programs[0] ?? name)

/** The program really run: busybox applets unwrapped, `node <npm-cli.js>` seen as npm. */
const resolveProgram = (argv: readonly string[], rules: ProgramRules): Resolved => {
  let name = posix.basename(argv[0] ?? '')
  let args = argv.slice(1)
  if (MULTICALL.has(name) && args[0] !== undefined && !args[0].startsWith('-')) {
    name = posix.basename(args[0])
    args = args.slice(1)
  }
  const direct = byName(name, rules)
  if (direct !== undefined) return { name: canonical(direct, name), program: direct, args }
  if (NODE.has(name)) {
    const at = scriptIndex(args)
    const script = args[at]
    if (script !== undefined) {
      const program = rules.entries.find((p) => p.scripts?.test(script) === true) ?? byName(posix.basename(script), rules)
      if (program !== undefined) return { name: program.entry.programs[0] ?? name, program, args: args.slice(at + 1) }
    }
  }
  return { name, program: undefined, args }
}

/**
 * The name of the program an exec runs (pure): the executable's basename, except that busybox applets
 * are unwrapped, globbed names take their entry's canonical name (`python3.12` → `python3`,
 * `git-remote-https` → `git`) and `node <script>` takes the name of a catalogued script
 * (`node .../npm/bin/npm-cli.js` → `npm`). This is the `program` of {@link PathContext}.
 */
export const identifyProgram = (argv: readonly string[], rules: ProgramRules): string => resolveProgram(argv, rules).name

const hasRun = (positionals: readonly string[], words: readonly RegExp[]): boolean => {
  for (let start = 0; start + words.length <= positionals.length; start++) {
    if (words.every((word, i) => word.test(positionals[start + i] ?? ''))) return true
  }
  return false
}

const caseMatches = (c: CompiledCase, args: readonly string[]): boolean =>
  (c.first === undefined || c.first.test(args[0] ?? '')) &&
  c.args.every((pattern) => args.some((arg) => pattern.test(arg))) &&
  (c.subcommand.length === 0 || hasRun(args.filter((arg) => !arg.startsWith('-')), c.subcommand))

/**
 * Classify one exec of an install hook as a `process-spawn` finding, or null (pure). Pass the path
 * execve ran as argv[0], not the process's self-reported argv[0], which `exec -a` can forge. Shell
 * command strings are not parsed: each program a shell starts is its own exec and is classified on its own.
 */
export const classifySpawn = (argv: readonly string[], rules: ProgramRules): SpawnFinding | null => {
  const { program, args } = resolveProgram(argv, rules)
  if (program === undefined) return null
  const hit = program.cases.find((c) => caseMatches(c, args))
  const severity = hit?.severity ?? program.entry.severity
  if (severity === 'none') return null
  return { rule: 'process-spawn', severity, entryId: program.entry.id, description: hit?.description ?? program.entry.description }
}

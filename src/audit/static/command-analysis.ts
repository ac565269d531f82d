import type { StaticRules } from './catalogue.js'
import { classifyWithCatalogue, classifyWithTracer, pathArguments, stripAssignments, unwrapOnce, WRAPPERS } from './command-programs.js'
import { flagCluster, hit, programName, shown, type CommandAnalysis, type CommandState } from './command-state.js'
import { programTargets } from './command-targets.js'
import { readShell, type SimpleCommand } from './shell-words.js'
import { display } from './symbolic.js'

export { programName, type CommandAnalysis, type CommandHit } from './command-state.js'

const MAX_DEPTH = 4
/** Shell reserved words in front of a command (`if curl ...; then`), skipped to reach the program. */
const SHELL_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', 'time'])
const SHELL_STDIN_CODE = new Set(['-c', '-e', '-m', '--eval', '--command', '-command', '-file', '--print', '-p'])

type State = CommandState

const analyseSimple = (state: State, command: SimpleCommand): { name: string; argv: string[]; downloads: boolean } => {
  let argv = stripAssignments(command.argv)
  while (argv.length > 0 && SHELL_KEYWORDS.has(argv[0] ?? '')) argv = stripAssignments(argv.slice(1))
  while (argv.length > 0 && WRAPPERS.has(programName(argv[0] ?? ''))) {
    state.out.programs.push(programName(argv[0] ?? ''))
    classifyWithTracer(state, argv)
    argv = unwrapOnce(argv)
  }
  const name = programName(argv[0] ?? '')
  let downloads = false
  if (name !== '') {
    state.out.programs.push(name)
    classifyWithTracer(state, argv)
    pathArguments(state, name, argv, command)
    downloads = classifyWithCatalogue(state, name, argv) || state.rules.downloaders.has(name)
    programTargets(state, name, argv)
  }
  for (const inner of command.substitutions) {
    const nested = analyseNested(state, inner)
    if (nested.downloads && runsStdin(state, name, argv)) {
      hit(state, 'static-download-exec', 'error', `Runs code it downloads (\`${shown(argv)}\` on the output of \`${display(inner.slice(0, 60))}\`), bypassing npm's integrity checks; do not approve it.`, 'download | shell')
    }
    downloads = downloads || nested.downloads
  }
  return { name, argv, downloads }
}

/** An interpreter that runs the code it is fed (stdin, `-c "$(...)"`, `<(...)`), not a script file of its own. */
const runsStdin = (state: State, name: string, argv: readonly string[]): boolean => {
  if (!state.rules.interpreters.has(name) && name !== 'eval') return false
  if (name === 'iex' || name === 'invoke-expression' || name === 'eval' || name === 'source' || name === '.') return true
  const args = argv.slice(1)
  if (args.some((arg) => arg === '/dev/fd/63' || arg.includes('$(…)'))) return true
  const codeOption = args.some((arg) => SHELL_STDIN_CODE.has(arg.toLowerCase()) || flagCluster(arg, 'c'))
  const script = args.find((arg) => !arg.startsWith('-'))
  return !codeOption && (script === undefined || script === '-')
}

const outputFile = (argv: readonly string[], command: SimpleCommand): string | undefined => {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '-o' || arg === '--output' || arg === '-O' && programName(argv[0] ?? '').startsWith('wget')) return argv[i + 1]
    if (arg.startsWith('--output-document=') || arg.startsWith('--output=')) return arg.slice(arg.indexOf('=') + 1)
    if (/^-o./.test(arg)) return arg.slice(2)
  }
  return command.redirects.find((r) => r.op === '>' || r.op === '>>')?.target
}

const makesExecutable = (argv: readonly string[]): boolean =>
  programName(argv[0] ?? '') === 'chmod' && argv.slice(1).some((arg) => /\+[rw]*x/.test(arg) || /^0?[0-7]?[1357][0-7]{2}$/.test(arg))

const analyseText = (state: State, text: string): { downloads: boolean } => {
  let downloaded: { file: string | undefined; argv: string[] } | undefined
  let downloads = false
  for (const pipeline of readShell(text)) {
    let feeding: string[] | undefined
    for (const command of pipeline.commands) {
      const simple = analyseSimple(state, command)
      if (feeding !== undefined && runsStdin(state, simple.name, simple.argv)) {
        hit(state, 'static-download-exec', 'error', `Pipes a download into an interpreter (\`${shown(feeding)} | ${shown(simple.argv)}\`): code fetched at install time runs unchecked; do not approve it.`, 'download | shell')
      }
      if (simple.downloads) {
        feeding = simple.argv
        downloads = true
        downloaded = { file: outputFile(simple.argv, command), argv: simple.argv }
      } else if (downloaded !== undefined && (makesExecutable(simple.argv) || downloaded.file !== undefined && simple.argv.some((arg) => programName(arg) === programName(downloaded?.file ?? '')) && simple.name !== programName(downloaded.argv[0] ?? ''))) {
        hit(state, 'static-download-exec', 'error', `Downloads a program and runs it (\`${shown(downloaded.argv)}\`, then \`${shown(simple.argv)}\`): it bypasses npm's integrity checks; do not approve it.`, 'download, chmod, run')
        downloaded = undefined
      }
    }
  }
  return { downloads }
}

const analyseNested = (state: State, text: string): { downloads: boolean } =>
  state.depth >= MAX_DEPTH ? { downloads: false } : analyseText({ ...state, depth: state.depth + 1 }, text)

/**
 * Review one shell command line (a package.json script, a line of a shell file, a string passed to
 * child_process.exec, a binding.gyp command expansion) without running it (pure): notable programs
 * (the tracer's catalogue, so a program means the same in both), downloads piped into interpreters,
 * download-chmod-run chains, nested `sh -c` / `cmd /c` / PowerShell commands, and the files and
 * scripts it would run next.
 */
export const analyseCommandLine = (text: string, rules: StaticRules): CommandAnalysis => {
  const out: CommandAnalysis = { hits: [], targets: [], programs: [] }
  analyseText({ rules, depth: 0, out, nested: analyseNested }, text)
  return out
}

/** Review an argv that runs without a shell (`spawn(file, args)`, `execFile`) (pure). */
export const analyseArgv = (argv: readonly string[], rules: StaticRules): CommandAnalysis => {
  const out: CommandAnalysis = { hits: [], targets: [], programs: [] }
  analyseSimple({ rules, depth: 0, out, nested: analyseNested }, { argv: [...argv], redirects: [], substitutions: [] })
  return out
}

import { classifySpawn } from '../../trace/program-rules.js'
import { hit, MAX_ARG, programName, shown, type CommandState } from './command-state.js'
import { credentialHit, persistenceHit } from './path-hits.js'
import type { SimpleCommand } from './shell-words.js'

/** Programs that run the rest of their command line (each is classified too: sudo and nohup are findings). */
export const WRAPPERS = new Set(['env', 'exec', 'command', 'builtin', 'time', 'nice', 'nohup', 'setsid', 'sudo', 'doas', 'cross-env', 'cross-env-shell', 'stdbuf', 'timeout', 'ionice', 'xargs'])
const VALUE_OPTIONS: Readonly<Record<string, ReadonlySet<string>>> = { sudo: new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U']), timeout: new Set(['-s', '-k']) }
const WRITE_LAST = new Set(['cp', 'mv', 'install', 'ln', 'rsync'])

/** Drop leading `NAME=value` assignments. */
export const stripAssignments = (argv: readonly string[]): string[] => {
  let i = 0
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i] ?? '')) i++
  return argv.slice(i)
}

/** Drop one wrapper (`sudo -u x`, `env A=1`, `timeout 5`) and its options. */
export const unwrapOnce = (argv: readonly string[]): string[] => {
  const name = programName(argv[0] ?? '')
  const valueOptions = VALUE_OPTIONS[name] ?? new Set<string>()
  let i = 1
  while (i < argv.length) {
    const arg = argv[i] ?? ''
    if (valueOptions.has(arg)) i += 2
    else if (arg.startsWith('-') || (name === 'env' || name.startsWith('cross-env')) && arg.includes('=')) i++
    else break
  }
  if (name === 'timeout') i++
  return argv.slice(i)
}

/** The tracer's notable-programs catalogue, so that a program means the same statically and at run time. */
export const classifyWithTracer = (state: CommandState, argv: readonly string[]): void => {
  const spawn = classifySpawn(argv.map((arg) => arg.slice(0, MAX_ARG)), state.rules.programs)
  if (spawn === null) return
  const rule = state.rules.tracerRule.get(spawn.entryId) ?? 'static-program'
  if (rule === 'ignore') return
  hit(state, rule, spawn.severity, `Runs \`${shown(argv)}\`; at install time the sandbox would report that it ${spawn.description}. Find out why before approving.`, spawn.entryId)
}

/** The static catalogue's own commands (PowerShell downloads, certutil ...); true when the command downloads. */
export const classifyWithCatalogue = (state: CommandState, name: string, argv: readonly string[]): boolean => {
  const args = argv.slice(1).map((arg) => arg.slice(0, MAX_ARG))
  const entry = state.rules.commands.find((c) => c.names.has(name) && c.argPatterns.every((p) => args.some((arg) => p.test(arg))))
  if (entry === undefined) return false
  hit(state, entry.rule, entry.severity, `Runs \`${shown(argv)}\`, which ${entry.description}. Find out why before approving.`, entry.id)
  return entry.rule === 'static-network-tool' || entry.rule === 'static-download-exec'
}

/** Credential paths among the arguments, persistence targets among the files written (`>>`, tee, cp). */
export const pathArguments = (state: CommandState, name: string, argv: readonly string[], command: SimpleCommand): void => {
  const written = new Set(command.redirects.filter((r) => r.op.includes('>') && !r.op.includes('&')).map((r) => r.target))
  const operands = argv.slice(1).filter((arg) => !arg.startsWith('-'))
  if (name === 'tee') for (const arg of operands) written.add(arg)
  if (WRITE_LAST.has(name) && operands.length > 1) written.add(operands[operands.length - 1] ?? '')
  for (const target of written) {
    const h = persistenceHit(target, true, state.rules) ?? credentialHit(target, 'write', state.rules)
    if (h !== undefined) state.out.hits.push(h)
  }
  for (const arg of [...operands, ...command.redirects.filter((r) => r.op.startsWith('<')).map((r) => r.target)]) {
    if (written.has(arg)) continue
    const h = credentialHit(arg, undefined, state.rules)
    if (h !== undefined) state.out.hits.push(h)
  }
}

import type { AnyNode, CallExpression, Expression, Literal, MemberExpression, NewExpression, Program, SpreadElement } from 'acorn'
import { fullAncestor } from 'acorn-walk'
import { posix } from 'node:path'
import { collectBindings } from './bindings.js'
import type { StaticRules } from './catalogue.js'
import { analyseArgv, analyseCommandLine, type CommandAnalysis, type CommandHit } from './command-analysis.js'
import { evaluate, type EvalContext } from './evaluate.js'
import type { FindingSink } from './findings.js'
import { envUse, evaluatedCode, fsAccess, holdsEnv, isNetworkCall, processCall, type FsAccess, type ProcessCall } from './js-calls.js'
import { indexLines, positionAt } from './locate.js'
import { ObfuscationTracker } from './obfuscation.js'
import { parseJavaScript } from './parse-js.js'
import { credentialHit, persistenceHit } from './path-hits.js'
import { memberName, refOf } from './refs.js'
import { finishFile, nearestFunction, type FileState } from './source-synthesis.js'
import { checkString } from './string-checks.js'
import { enclosingFsAccess, isStructuralLiteral, maximalString, type StringSite } from './string-sites.js'
import { hasMarker, UNKNOWN } from './symbolic.js'
import { packagePath, type ScriptTarget } from './targets.js'
import type { SourcePosition } from './types.js'

export interface SourceOptions {
  readonly rules: StaticRules
  readonly sink: FindingSink
  /** Report every finding at this position (inline `node -e` code, decoded payloads). */
  readonly anchor?: SourcePosition
  /** Nesting of inline and decoded code; past 2 nothing more is unpacked. */
  readonly depth?: number
}

export interface SourceResult {
  /** Files, package.json scripts and binding.gyp this code runs or requires. */
  readonly targets: ScriptTarget[]
}

const MAX_NESTING = 2
/** Past this size a file is treated as a bundle: file-wide combinations of signals only warn. */
const BUNDLE_SIZE = 100_000
const DIGEST_COMPARE = new Set(['===', '!==', '==', '!='])

const elementsOf = (state: FileState, node: Expression | SpreadElement | undefined): string[] | undefined => {
  const array = node?.type === 'Identifier' ? state.ctx.bindings.values.get(node.name) : node
  if (array?.type !== 'ArrayExpression') return undefined
  return array.elements.map((el) => (el === null || el.type === 'SpreadElement' ? UNKNOWN : evaluate(state.ctx, el)))
}

/** `{ shell: true }`, also through a spread of a name declared once (`{ ...spawnOptions, stdio }`). */
const hasShellOption = (state: FileState, node: AnyNode | undefined, depth = 0): boolean => {
  const object = node?.type === 'Identifier' ? state.ctx.bindings.values.get(node.name) : node
  if (object?.type !== 'ObjectExpression' || depth > 3) return false
  return object.properties.some((p) => p.type === 'SpreadElement'
    ? hasShellOption(state, p.argument, depth + 1)
    : memberKey(p.key) === 'shell' && !(p.value.type === 'Literal' && (p.value.value === false || p.value.value === null)))
}

const memberKey = (key: AnyNode): string | undefined => (key.type === 'Identifier' ? key.name : key.type === 'Literal' ? String(key.value) : undefined)

const report = (state: FileState, hits: readonly CommandHit[], offset: number): void => {
  for (const h of hits) state.sink.add(h.rule, h.severity, h.message, state.at(offset), h.match)
}

const followCommand = (state: FileState, analysis: CommandAnalysis, offset: number): void => {
  report(state, analysis.hits, offset)
  if (analysis.programs.includes('chmod')) state.chmods.push(offset)
  for (const name of analysis.programs) state.programs.add(name)
  for (const target of analysis.targets) {
    if (target.kind === 'inline') {
      if (!hasMarker(target.code)) scanNested(state, target.code, offset)
    } else if (target.kind === 'js' || target.kind === 'shell' || target.kind === 'text') {
      const path = packagePath(target.path, '')
      if (path !== undefined) state.targets.push({ ...target, path })
    } else state.targets.push(target)
  }
}

const scanNested = (state: FileState, code: string, offset: number): void => {
  if (state.depth >= MAX_NESTING) return
  const nested = scanSource(code, state.file, { rules: state.rules, sink: state.sink, anchor: state.at(offset), depth: state.depth + 1 })
  state.targets.push(...nested.targets)
}

/** A program path built at run time (`path.join(os.tmpdir(), name)`), as a downloaded program's would be. */
const computedPath = (program: string): boolean => /[\u0001-\u0004]/.test(program) || program.includes(UNKNOWN) && program.includes('/')

const handleProcess = (state: FileState, call: ProcessCall, node: CallExpression | NewExpression): void => {
  if (call.kind === 'command') {
    const command = call.command === undefined || call.command.type === 'SpreadElement' ? UNKNOWN : evaluate(state.ctx, call.command)
    state.execs.push({ offset: node.start, computedPath: computedPath(command.trimStart().split(' ', 1)[0] ?? '') })
    if (command !== UNKNOWN) followCommand(state, analyseCommandLine(command, state.rules), node.start)
    return
  }
  const first = call.kind === 'fork' ? call.module : call.file
  const file = first === undefined || first.type === 'SpreadElement' ? UNKNOWN : evaluate(state.ctx, first)
  const options = call.kind === 'argv' && call.args?.type === 'ObjectExpression' ? call.args : call.kind === 'argv' ? call.options : undefined
  const listed = call.args?.type === 'ObjectExpression' ? [] : elementsOf(state, call.args)
  const args = listed ?? (call.args === undefined ? [] : [UNKNOWN])
  const argv = call.kind === 'fork' ? ['node', file, ...args] : [file, ...args]
  state.execs.push({ offset: node.start, computedPath: computedPath(file) })
  if (file === UNKNOWN) return
  // A program "name" with spaces only runs through a shell (`spawnSync('node-gyp rebuild', { shell: true })`).
  const shell = hasShellOption(state, options) || args.length === 0 && /\s/.test(file.trim())
  followCommand(state, shell ? analyseCommandLine(argv.join(' '), state.rules) : analyseArgv(argv, state.rules), node.start)
}

const requireTarget = (state: FileState, node: CallExpression): void => {
  if (node.callee.type !== 'Identifier' || node.callee.name !== 'require' || state.ctx.bindings.declared.has('require')) return
  const [arg] = node.arguments
  if (arg !== undefined && arg.type !== 'SpreadElement') addModuleTarget(state, evaluate(state.ctx, arg))
}

const addModuleTarget = (state: FileState, specifier: string): void => {
  const local = specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('\u0003')
  const path = local ? packagePath(specifier, state.ctx.fileDir) : undefined
  if (path !== undefined) state.targets.push({ kind: 'js', path })
}

const writesExecutable = (node: CallExpression | NewExpression): boolean => {
  const options = node.arguments[2]
  return options?.type === 'ObjectExpression' && options.properties.some((p) =>
    p.type === 'Property' && memberKey(p.key) === 'mode' && p.value.type === 'Literal' && typeof p.value.value === 'number' && (p.value.value & 0o111) !== 0)
}

const handleCall = (state: FileState, node: CallExpression | NewExpression, ancestors: readonly AnyNode[]): void => {
  const { bindings } = state.ctx
  const call = processCall(bindings, node)
  if (call !== undefined) handleProcess(state, call, node)
  if (isNetworkCall(bindings, node)) state.network.push({ node, fn: nearestFunction(ancestors) })
  const access = fsAccess(bindings, node)
  if (access !== undefined) checkFsPath(state, node, access)
  if (access === 'write') {
    state.writes.push(node.start)
    if (writesExecutable(node)) state.chmods.push(node.start)
  } else if (access === 'chmod') state.chmods.push(node.start)
  const code = evaluatedCode(bindings, node)
  if (code !== undefined) state.evalSites.push({ node, code, ancestors: [...ancestors] })
  const env = envUse(bindings, node)
  if (env === 'serialise') {
    state.sink.add('static-env-dump', 'error', 'Serialises the whole environment (JSON.stringify(process.env) or the like): every token the installer has (NPM_TOKEN, GITHUB_TOKEN, cloud keys) ends up in one string, which is how Shai-Hulud and Nx collected secrets. Do not approve it.', state.at(node.start), 'serialise process.env')
  } else if (env === 'enumerate') state.envEnumerated.push(node.start)
  if (node.type === 'CallExpression') {
    state.obfuscation.call(node)
    requireTarget(state, node)
  }
}

/** The path an fs call opens, followed through names (`const unit = path.join(...)`; `fs.writeFileSync(unit)`). */
const checkFsPath = (state: FileState, node: CallExpression | NewExpression, access: FsAccess): void => {
  const [first] = node.arguments
  if (first === undefined || first.type === 'SpreadElement' || first.type === 'Literal' || first.type === 'TemplateLiteral') return
  const path = evaluate(state.ctx, first)
  if (path === UNKNOWN) return
  const h = access === 'write' ? persistenceHit(path, true, state.rules) ?? credentialHit(path, access, state.rules) : credentialHit(path, access, state.rules)
  if (h !== undefined) state.sink.add(h.rule, h.severity, h.message, state.at(node.start), h.match)
}

const isDigest = (state: FileState, node: AnyNode): boolean => {
  const value = node.type === 'Identifier' ? state.ctx.bindings.values.get(node.name) : node
  return value?.type === 'CallExpression' && memberName(value.callee) === 'digest'
}

const visitLiteral = (state: FileState, node: Literal, ancestors: readonly AnyNode[]): void => {
  if (typeof node.value !== 'string' || isStructuralLiteral(node, ancestors[ancestors.length - 2])) return
  state.obfuscation.literal(node.value, node.start)
  if (node.value.length >= 4 && state.rules.aiPrograms.has(node.value)) state.agentNamed = true
  if (state.rules.file.github.tokenEnv.includes(node.value)) state.githubToken = true
  addStringSite(state, node, ancestors)
}

const visitMember = (state: FileState, node: MemberExpression): void => {
  const ref = refOf(state.ctx.bindings, node)
  const env = ref?.module === 'global' && ref.path.length === 3 && ref.path[0] === 'process' && ref.path[1] === 'env' ? ref.path[2] : undefined
  if (env !== undefined && state.rules.file.github.tokenEnv.includes(env)) state.githubToken = true
  if (memberName(node) === 'timingSafeEqual') state.integrity = true
}

const visit = (state: FileState, node: AnyNode, ancestors: readonly AnyNode[]): void => {
  const { bindings } = state.ctx
  if (node.type === 'Identifier') state.obfuscation.identifier(node.name, node.start)
  else if (node.type === 'Literal') visitLiteral(state, node, ancestors)
  else if (node.type === 'TemplateLiteral') addStringSite(state, node, ancestors)
  else if (node.type === 'CallExpression' || node.type === 'NewExpression') handleCall(state, node, ancestors)
  else if (node.type === 'ImportExpression') addModuleTarget(state, evaluate(state.ctx, node.source))
  else if (node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration' || node.type === 'ExportNamedDeclaration') {
    if (typeof node.source?.value === 'string') addModuleTarget(state, node.source.value)
  } else if (node.type === 'ArrayExpression') state.obfuscation.array(node)
  else if (node.type === 'BinaryExpression') {
    if (DIGEST_COMPARE.has(node.operator) && (isDigest(state, node.left) || isDigest(state, node.right))) state.integrity = true
  } else if (node.type === 'ForInStatement') {
    if (holdsEnv(bindings, node.right)) state.envEnumerated.push(node.start)
  } else if (node.type === 'MemberExpression') visitMember(state, node)
}

const addStringSite = (state: FileState, node: AnyNode, ancestors: readonly AnyNode[]): void => {
  const { node: top, index } = maximalString(state.ctx.bindings, ancestors)
  let site = state.strings.get(top)
  if (site === undefined) {
    site = { node: top as Expression, literals: [], access: enclosingFsAccess(state.ctx.bindings, ancestors, index) }
    state.strings.set(top, site)
  }
  if (node.type === 'Literal') site.literals.push(node)
}

/**
 * Analyse one JavaScript file without running it (pure given `rules`): parse it with acorn, walk
 * it once, fold string expressions, and report through `sink` the static-* findings of the file.
 * Returns what the file runs or requires next, for the package analysis to follow. Code passed to
 * `node -e` in a command, or decoded for eval, is analysed the same way, at the place it was found.
 */
export const scanSource = (code: string, file: string, options: SourceOptions): SourceResult => {
  const lines = indexLines(code)
  const at = (offset: number): SourcePosition => options.anchor ?? positionAt(lines, file, offset)
  const parsed = parseJavaScript(code)
  if (parsed.kind === 'failed') return textOnly(code, file, options, at, `could not be parsed as JavaScript (${parsed.message})`, parsed.offset)
  try {
    return walkProgram(parsed.program, code, file, options, at)
  } catch (error) {
    // Code nested deeper than the walker's stack (thousands of `+` or brackets) is read as text.
    if (error instanceof RangeError) return textOnly(code, file, options, at, 'is nested too deeply to analyse', 0)
    throw error
  }
}

const textOnly = (code: string, file: string, options: SourceOptions, at: (offset: number) => SourcePosition, why: string, offset: number): SourceResult => {
  options.sink.add('static-unparsed', 'note', `${file} ${why}, so only its text was searched; read it yourself before approving.`, at(offset))
  for (const h of checkString(code, undefined, options.rules).hits) options.sink.add(h.rule, h.severity, h.message, at(0), h.match)
  return { targets: [] }
}

const walkProgram = (program: Program, code: string, file: string, options: SourceOptions, at: (offset: number) => SourcePosition): SourceResult => {
  const fileDir = posix.dirname(file) === '.' ? '' : posix.dirname(file)
  const ctx: EvalContext = { bindings: collectBindings(program), fileDir, fileName: posix.basename(file), cache: new Map() }
  const state: FileState = {
    ctx, file, rules: options.rules, sink: options.sink, at, depth: options.depth ?? 0,
    targets: [], programs: new Set(), network: [], writes: [], chmods: [], execs: [], evalSites: [], envEnumerated: [],
    strings: new Map<AnyNode, StringSite>(), obfuscation: new ObfuscationTracker(options.rules.file.obfuscation),
    integrity: false, agentNamed: false, githubToken: false, agentFlags: [], githubApi: undefined, bundle: code.length > BUNDLE_SIZE,
  }
  fullAncestor(program, (node, _state, ancestors) => visit(state, node, ancestors))
  finishFile(state, code, scanNested)
  return { targets: state.targets }
}

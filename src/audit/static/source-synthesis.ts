import type { AnyNode, CallExpression, Expression, NewExpression, SpreadElement } from 'acorn'
import type { StaticRules } from './catalogue.js'
import type { EvalContext } from './evaluate.js'
import { evaluate } from './evaluate.js'
import type { FindingSink } from './findings.js'
import { isDecoderCall } from './js-calls.js'
import type { ObfuscationTracker } from './obfuscation.js'
import { calleeMember } from './refs.js'
import { checkString } from './string-checks.js'
import type { StringSite } from './string-sites.js'
import { display, hasMarker, isUnknown } from './symbolic.js'
import type { ScriptTarget } from './targets.js'
import type { SourcePosition } from './types.js'

/** What the walk of one file gathered, for the checks that need the whole file. */
export interface FileState {
  readonly ctx: EvalContext
  readonly file: string
  readonly rules: StaticRules
  readonly sink: FindingSink
  readonly at: (offset: number) => SourcePosition
  readonly depth: number
  readonly targets: ScriptTarget[]
  readonly programs: Set<string>
  /** Network calls, with the function each is in (undefined at top level). */
  readonly network: { readonly node: AnyNode; readonly fn: AnyNode | undefined }[]
  readonly writes: number[]
  readonly chmods: number[]
  /** Processes started; `computedPath` when the program's path is built at run time. */
  readonly execs: { offset: number; computedPath: boolean }[]
  readonly evalSites: { node: CallExpression | NewExpression; code: Expression | SpreadElement | null; ancestors: AnyNode[] }[]
  readonly envEnumerated: number[]
  readonly strings: Map<AnyNode, StringSite>
  readonly obfuscation: ObfuscationTracker
  integrity: boolean
  agentNamed: boolean
  githubToken: boolean
  readonly agentFlags: { flag: string; offset: number }[]
  githubApi: number | undefined
  /** A large bundle, where signals far apart in the file are often unrelated. */
  readonly bundle: boolean
}

type ScanNested = (state: FileState, code: string, offset: number) => void

const MAX_DECODER_SEARCH = 2000

const childNodes = (node: AnyNode): AnyNode[] => {
  const out: AnyNode[] = []
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue
    if (Array.isArray(value)) for (const item of value as unknown[]) { if (isNode(item)) out.push(item) }
    else if (isNode(value)) out.push(value)
  }
  return out
}

const isNode = (value: unknown): value is AnyNode => typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'

/** Does the expression (through names declared once and helper functions) decode hidden text? */
const decodes = (state: FileState, start: AnyNode): boolean => {
  const { bindings } = state.ctx
  const stack: AnyNode[] = [start]
  const seen = new Set<AnyNode>()
  while (stack.length > 0 && seen.size < MAX_DECODER_SEARCH) {
    const node = stack.pop() as AnyNode
    if (seen.has(node)) continue
    seen.add(node)
    if ((node.type === 'CallExpression' || node.type === 'NewExpression') && isDecoderCall(bindings, node)) return true
    if (node.type === 'BinaryExpression' && node.operator === '^' && [node.left, node.right].some((side) => side.type === 'CallExpression' && calleeMember(side) === 'charCodeAt')) return true
    if (node.type === 'Identifier') {
      const bound = bindings.values.get(node.name) ?? bindings.functions.get(node.name)
      if (bound !== undefined) stack.push(bound)
      continue
    }
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier') {
      const helper = bindings.functions.get(node.callee.name)
      if (helper !== undefined) stack.push(helper)
    }
    stack.push(...childNodes(node))
  }
  return false
}

const within = (inner: AnyNode, outer: AnyNode): boolean => outer.start <= inner.start && inner.end <= outer.end

const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration'])

/** The innermost function around the last of `ancestors` (itself excluded). */
export const nearestFunction = (ancestors: readonly AnyNode[]): AnyNode | undefined => {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const node = ancestors[i] as AnyNode
    if (FUNCTION_TYPES.has(node.type)) return node
  }
  return undefined
}

/**
 * Is the evaluated code received over the network? Inside a network call (its callback), on a
 * promise chain hanging off one (`fetch(u).then(r => r.text()).then(eval)`), or after one in the
 * same function (`const code = await (await fetch(u)).text(); eval(code)`).
 */
const fromNetwork = (state: FileState, site: FileState['evalSites'][number]): boolean => {
  const fn = nearestFunction(site.ancestors)
  return state.network.some((net) =>
    within(site.node, net.node) || net.fn === fn && net.node.start < site.node.start ||
    site.ancestors.some((a) => a.type === 'CallExpression' && a !== site.node && a.callee.type === 'MemberExpression' && within(net.node, a.callee.object)))
}

const checkEvalSites = (state: FileState, scanNested: ScanNested): void => {
  for (const site of state.evalSites) {
    const offset = site.node.start
    if (site.code === null || site.code.type === 'SpreadElement') continue
    if (decodes(state, site.code)) {
      const text = evaluate(state.ctx, site.code)
      const known = !hasMarker(text) && text.trim() !== ''
      state.sink.add('static-eval-decoded', 'error', `Runs code it decodes at run time (eval, new Function or vm over base64, hex, char codes or similar)${known ? `; it decodes to: ${display(text.slice(0, 80))}` : ''}. Hidden code is how payloads conceal their second stage; do not approve it without decoding it first.`, state.at(offset), 'eval(decoded)')
      if (known) scanNested(state, text, offset)
    } else if (fromNetwork(state, site)) {
      state.sink.add('static-download-exec', 'error', 'Evaluates code it receives over the network (eval of a response), as the 2018 eslint-scope payload did with a paste site: nothing checks that code. Do not approve it.', state.at(offset), 'eval(response)')
    }
  }
}

const checkDownloadExec = (state: FileState): void => {
  const net = state.network[0]?.node
  const write = state.writes[0]
  if (net === undefined || write === undefined || state.execs.length === 0 || state.chmods.length === 0 && !state.execs.some((e) => e.computedPath)) return
  const line = (offset: number): number => state.at(offset).line
  const steps = `downloads (line ${line(net.start)}), writes a file (line ${line(write)})${state.chmods[0] === undefined ? '' : `, makes it executable (line ${line(state.chmods[0])})`} and starts a program (line ${line(state.execs[0]?.offset ?? 0)})`
  if (state.integrity || state.bundle) {
    state.sink.add('static-download-exec', state.integrity ? 'note' : 'warning', state.bundle && !state.integrity
      ? `It ${steps}, with no hash check found; in a file this large the steps may be unrelated, so find out whether a downloaded program is run before approving.`
      : `It ${steps}, after comparing the download with an expected hash (like esbuild's fallback installer). Check that the expected hashes ship inside the package.`, state.at(net.start), 'download, write, run')
  } else {
    state.sink.add('static-download-exec', 'error', `It ${steps}, and no hash check was found: a second stage fetched at install time bypasses npm's integrity checks (Shai-Hulud fetched TruffleHog this way). Do not approve it unless the download is pinned.`, state.at(net.start), 'download, write, run')
  }
}

const checkStrings = (state: FileState): void => {
  for (const site of state.strings.values()) {
    const text = evaluate(state.ctx, site.node)
    const pieces = isUnknown(text) ? site.literals.map((lit) => ({ text: evaluate(state.ctx, lit), offset: lit.start })) : [{ text, offset: site.node.start }]
    for (const piece of pieces) {
      const scan = checkString(piece.text, site.access, state.rules)
      for (const h of scan.hits) state.sink.add(h.rule, h.severity, h.message, state.at(piece.offset), h.match)
      for (const flag of scan.agentFlags) state.agentFlags.push({ flag, offset: piece.offset })
      if (scan.githubApi && state.githubApi === undefined) state.githubApi = piece.offset
    }
  }
}

/** The checks that need the whole file: strings, eval sites, download-and-execute, env enumeration, agents, GitHub, obfuscation. */
export const finishFile = (state: FileState, code: string, scanNested: ScanNested): void => {
  checkStrings(state)
  checkEvalSites(state, scanNested)
  checkDownloadExec(state)
  const enumerated = state.envEnumerated[0]
  if (enumerated !== undefined) {
    const sends = state.network.length > 0 || state.writes.length > 0
    state.sink.add('static-env-dump', sends ? 'warning' : 'note', sends
      ? 'Walks every environment variable (Object.entries(process.env) or the like) in a file that also sends or writes data: the environment holds the installer\'s tokens. Do not approve it until you know what is sent where.'
      : 'Walks every environment variable (Object.entries(process.env) or the like); nothing in this file sends or writes them, but check what it does with them.', state.at(enumerated), 'enumerate process.env')
  }
  const agentNamed = state.agentNamed || [...state.programs].some((p) => state.rules.aiPrograms.has(p))
  for (const { flag, offset } of agentNamed ? state.agentFlags : []) {
    state.sink.add('static-ai-agent', 'error', `Passes ${flag} to an AI coding agent it names in the same file: ${state.rules.file.aiAgents.description}. Do not approve this package.`, state.at(offset), flag)
  }
  if (state.githubApi !== undefined && state.githubToken) {
    state.sink.add('static-github-api', 'warning', 'Calls the GitHub API with a token from the environment (GITHUB_TOKEN / GH_TOKEN): installers may do this to avoid rate limits, worms do it to act as the user. Check which endpoints it calls before approving.', state.at(state.githubApi), 'api.github.com + token')
  }
  for (const h of state.obfuscation.finish(code)) state.sink.add('static-obfuscation', 'warning', h.message, state.at(h.offset), h.match)
}

import type { AnyNode, CallExpression, Expression, SpreadElement } from 'acorn'
import { calleeObject, isRef, memberName, refOf } from './refs.js'
import type { Bindings } from './bindings.js'
import { concat, HOME, hasMarker, PKG, PROJECT, TMP, UNKNOWN } from './symbolic.js'

/** What evaluation may look at: the file's bindings and its place in the package. */
export interface EvalContext {
  readonly bindings: Bindings
  /** Directory of the file relative to the package root, `` for the root. */
  readonly fileDir: string
  readonly fileName: string
  readonly cache: Map<AnyNode, string>
}

const MAX_DEPTH = 12
const MAX_DECODE = 1 << 20
const HOME_VARS = new Set(['HOME', 'USERPROFILE'])
const TMP_VARS = new Set(['TMPDIR', 'TEMP', 'TMP'])
const PATH_JOIN = new Set(['join', 'resolve', 'normalize'])
const BUFFER_ENCODINGS = new Set(['base64', 'base64url', 'hex', 'latin1', 'binary', 'utf8', 'utf-8', 'ascii', 'ucs2', 'utf16le'])

const pkgPath = (ctx: EvalContext, name: string): string => concat(PKG, ctx.fileDir === '' ? '' : `/${ctx.fileDir}`, name === '' ? '' : `/${name}`)

const known = (text: string): boolean => !hasMarker(text)

const envValue = (name: string | undefined): string =>
  name === undefined ? UNKNOWN : HOME_VARS.has(name) ? HOME : TMP_VARS.has(name) ? TMP : name === 'INIT_CWD' ? PROJECT : UNKNOWN

const joinPaths = (parts: readonly string[], resolve: boolean): string => {
  let start = 0
  if (resolve) {
    parts.forEach((part, i) => {
      if (part.startsWith('/') || /^[\u0001-\u0004]/.test(part)) start = i
    })
  }
  return concat(...parts.slice(start).flatMap((part, i) => (i === 0 ? [part] : ['/', part])))
}

const decodeBuffer = (text: string, from: string, to: string): string | undefined => {
  if (!known(text) || text.length > MAX_DECODE || !BUFFER_ENCODINGS.has(from) || !BUFFER_ENCODINGS.has(to)) return undefined
  return Buffer.from(text, from as BufferEncoding).toString(to as BufferEncoding)
}

const literalString = (node: AnyNode | undefined): string | undefined =>
  node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined

const args = (ctx: EvalContext, list: readonly (Expression | SpreadElement)[], depth: number): string[] =>
  list.map((arg) => (arg.type === 'SpreadElement' ? UNKNOWN : evaluateAt(ctx, arg, depth + 1)))

/** Buffer.from(s, enc).toString(enc2), atob(s), String.fromCharCode(...), s.split('').reverse().join(''). */
const evaluateDecoding = (ctx: EvalContext, node: CallExpression, depth: number): string | undefined => {
  const ref = refOf(ctx.bindings, node.callee)
  const name = memberName(node.callee)
  const object = calleeObject(node)
  if (isRef(ref, 'global', 'atob')) return decodeBuffer(evaluateAt(ctx, node.arguments[0] as Expression, depth + 1), 'base64', 'latin1')
  if (isRef(ref, 'global', 'String', 'fromCharCode') || isRef(ref, 'global', 'String', 'fromCodePoint')) {
    const codes = node.arguments.map((arg) => (arg.type === 'Literal' && typeof arg.value === 'number' ? arg.value : NaN))
    return codes.every((code) => Number.isInteger(code) && code >= 0 && code <= 0x10ffff) ? String.fromCodePoint(...codes) : UNKNOWN
  }
  if (isRef(ref, 'global', 'decodeURIComponent') || isRef(ref, 'global', 'decodeURI') || isRef(ref, 'global', 'unescape')) {
    const text = evaluateAt(ctx, node.arguments[0] as Expression, depth + 1)
    if (!known(text)) return UNKNOWN
    try {
      return decodeURIComponent(text)
    } catch {
      return UNKNOWN
    }
  }
  if (name === 'toString' && object?.type === 'CallExpression') {
    const inner = refOf(ctx.bindings, object.callee)
    if (isRef(inner, 'global', 'Buffer', 'from') || isRef(inner, 'buffer', 'Buffer', 'from')) {
      const from = literalString(object.arguments[1]) ?? 'utf8'
      const to = literalString(node.arguments[0]) ?? 'utf8'
      return decodeBuffer(evaluateAt(ctx, object.arguments[0] as Expression, depth + 1), from, to) ?? UNKNOWN
    }
  }
  if (name === 'join' && object?.type === 'CallExpression' && memberName(object.callee) === 'reverse') {
    const split = calleeObject(object)
    if (split?.type === 'CallExpression' && memberName(split.callee) === 'split' && literalString(split.arguments[0]) === '') {
      const text = evaluateAt(ctx, calleeObject(split) as Expression, depth + 1)
      return known(text) && literalString(node.arguments[0]) === '' ? [...text].reverse().join('') : UNKNOWN
    }
  }
  return undefined
}

const evaluateCall = (ctx: EvalContext, node: CallExpression, depth: number): string => {
  const ref = refOf(ctx.bindings, node.callee)
  if (isRef(ref, 'os', 'homedir')) return HOME
  if (isRef(ref, 'os', 'tmpdir')) return TMP
  if (ref !== undefined && (ref.module === 'path' || ref.module === 'path/posix') && PATH_JOIN.has(ref.path[ref.path.length - 1] ?? '')) {
    return joinPaths(args(ctx, node.arguments, depth), ref.path[ref.path.length - 1] === 'resolve')
  }
  const decoded = evaluateDecoding(ctx, node, depth)
  if (decoded !== undefined) return decoded
  const name = memberName(node.callee)
  const object = calleeObject(node)
  if (object === undefined || object.type === 'Super') return UNKNOWN
  if (name === 'join' && object.type === 'ArrayExpression') {
    const sep = node.arguments.length === 0 ? ',' : evaluateAt(ctx, node.arguments[0] as Expression, depth + 1)
    const parts = object.elements.map((el) => (el === null || el.type === 'SpreadElement' ? UNKNOWN : evaluateAt(ctx, el, depth + 1)))
    return concat(...parts.flatMap((part, i) => (i === 0 ? [part] : [sep, part])))
  }
  if (name === 'concat') return concat(evaluateAt(ctx, object, depth + 1), ...args(ctx, node.arguments, depth))
  if (name === 'toString' || name === 'trim' || name === 'valueOf') return evaluateAt(ctx, object, depth + 1)
  if (name === 'toLowerCase') return evaluateAt(ctx, object, depth + 1).toLowerCase()
  return UNKNOWN
}

const evaluateMember = (ctx: EvalContext, node: Expression): string => {
  const ref = refOf(ctx.bindings, node)
  if (ref?.module === 'global' && ref.path[0] === 'process' && ref.path[1] === 'env' && ref.path.length === 3) return envValue(ref.path[2])
  if (isRef(ref, 'os', 'userInfo()', 'homedir')) return HOME
  if (isRef(ref, 'global', 'process', 'execPath') || isRef(ref, 'global', 'process', 'argv0')) return 'node'
  return UNKNOWN
}

const evaluateIdentifier = (ctx: EvalContext, name: string, depth: number): string => {
  if (name === '__dirname' && !ctx.bindings.declared.has(name)) return pkgPath(ctx, '')
  if (name === '__filename' && !ctx.bindings.declared.has(name)) return pkgPath(ctx, ctx.fileName)
  const init = ctx.bindings.values.get(name)
  return init === undefined ? UNKNOWN : evaluateAt(ctx, init, depth + 1)
}

const evaluateNode = (ctx: EvalContext, node: Expression, depth: number): string => {
  const next = (child: Expression): string => evaluateAt(ctx, child, depth + 1)
  if (node.type === 'Literal') {
    return typeof node.value === 'string' ? node.value : typeof node.value === 'number' || typeof node.value === 'boolean' ? String(node.value) : UNKNOWN
  }
  if (node.type === 'TemplateLiteral') {
    return concat(...node.quasis.flatMap((quasi, i) => {
      const expression = node.expressions[i]
      return [quasi.value.cooked ?? UNKNOWN, expression === undefined ? '' : next(expression)]
    }))
  }
  if (node.type === 'BinaryExpression') return node.operator === '+' && node.left.type !== 'PrivateIdentifier' ? concat(next(node.left), next(node.right)) : UNKNOWN
  if (node.type === 'LogicalExpression') {
    const first = next(node.left)
    return first === UNKNOWN ? next(node.right) : first
  }
  if (node.type === 'ConditionalExpression') {
    const first = next(node.consequent)
    return first === UNKNOWN ? next(node.alternate) : first
  }
  if (node.type === 'Identifier') return evaluateIdentifier(ctx, node.name, depth)
  if (node.type === 'MemberExpression') return evaluateMember(ctx, node)
  if (node.type === 'CallExpression') return evaluateCall(ctx, node, depth)
  if (node.type === 'AwaitExpression') return next(node.argument)
  if (node.type === 'SequenceExpression') {
    const last = node.expressions[node.expressions.length - 1]
    return last === undefined ? UNKNOWN : next(last)
  }
  if (node.type === 'ParenthesizedExpression' || node.type === 'ChainExpression') return next(node.expression)
  return UNKNOWN
}

const evaluateAt = (ctx: EvalContext, node: Expression | undefined, depth: number): string => {
  if (node === undefined || depth > MAX_DEPTH) return UNKNOWN
  const cached = ctx.cache.get(node)
  if (cached !== undefined) return cached
  const value = evaluateNode(ctx, node, depth)
  ctx.cache.set(node, value)
  return value
}

/**
 * Fold a string expression as far as the file alone allows (pure): literals, templates, `+`,
 * path.join/resolve, os.homedir(), process.env.HOME, __dirname, names declared once, and the
 * decoders malware hides strings with (Buffer.from(x, 'base64'), atob, String.fromCharCode,
 * decodeURIComponent, split-reverse-join). The rest is UNKNOWN; see symbolic.ts for the markers.
 */
export const evaluate = (ctx: EvalContext, node: Expression): string => evaluateAt(ctx, node, 0)

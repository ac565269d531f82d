import type { AnyNode, Expression } from 'acorn'
import type { Bindings } from './bindings.js'
import { fsAccess, type FsAccess } from './js-calls.js'
import { isRef, memberName, refOf } from './refs.js'

/** A string expression to check once, with the literals inside it (checked alone if it folds to nothing). */
export interface StringSite {
  readonly node: Expression
  readonly literals: Expression[]
  /** What the enclosing fs call does with it, when it is a file-system call's path argument. */
  readonly access: FsAccess | undefined
}

const METHOD_COMPOSERS = new Set(['join', 'concat', 'toString', 'trim', 'valueOf', 'toLowerCase', 'reverse', 'split'])
const PATH_FUNCTIONS = new Set(['join', 'resolve', 'normalize'])

const isComposerCall = (bindings: Bindings, call: AnyNode): boolean => {
  if (call.type !== 'CallExpression') return false
  const ref = refOf(bindings, call.callee)
  if (ref !== undefined && (ref.module === 'path' || ref.module === 'path/posix') && PATH_FUNCTIONS.has(ref.path[ref.path.length - 1] ?? '')) return true
  if (isRef(ref, 'global', 'atob') || isRef(ref, 'global', 'decodeURIComponent') || isRef(ref, 'global', 'decodeURI') || isRef(ref, 'global', 'unescape')) return true
  if (isRef(ref, 'global', 'String', 'fromCharCode') || isRef(ref, 'global', 'Buffer', 'from') || isRef(ref, 'buffer', 'Buffer', 'from')) return true
  return memberName(call.callee) === 'concat'
}

/** Does `parent` build a larger string out of `child` (so only the larger one is checked)? */
const composes = (bindings: Bindings, parent: AnyNode, child: AnyNode, grand: AnyNode | undefined): boolean => {
  const type = parent.type
  if (type === 'BinaryExpression') return parent.operator === '+'
  if (type === 'TemplateLiteral' || type === 'LogicalExpression' || type === 'ParenthesizedExpression' || type === 'ChainExpression' || type === 'AwaitExpression') return true
  if (type === 'ConditionalExpression') return child !== parent.test
  if (type === 'SequenceExpression') return parent.expressions[parent.expressions.length - 1] === child
  if (type === 'ArrayExpression') return grand?.type === 'MemberExpression' && grand.object === parent && memberName(grand) === 'join'
  if (type === 'MemberExpression') {
    return parent.object === child && grand?.type === 'CallExpression' && grand.callee === parent && METHOD_COMPOSERS.has(memberName(parent) ?? '')
  }
  if (type === 'CallExpression') {
    // `x.toString()` / `[...].join('/')`: the call whose callee the member is composes too.
    return parent.callee === child ? child.type === 'MemberExpression' && METHOD_COMPOSERS.has(memberName(child) ?? '') : isComposerCall(bindings, parent)
  }
  return false
}

/** The largest string expression `ancestors`' last node is part of, and its index in `ancestors`. */
export const maximalString = (bindings: Bindings, ancestors: readonly AnyNode[]): { node: AnyNode; index: number } => {
  let index = ancestors.length - 1
  while (index > 0) {
    const parent = ancestors[index - 1] as AnyNode
    if (!composes(bindings, parent, ancestors[index] as AnyNode, ancestors[index - 2])) break
    index--
  }
  return { node: ancestors[index] as AnyNode, index }
}

/** What the call around `ancestors[index]` does with it, when it is (in) the first argument of an fs call. */
export const enclosingFsAccess = (bindings: Bindings, ancestors: readonly AnyNode[], index: number): FsAccess | undefined => {
  const parent = ancestors[index - 1]
  if (parent === undefined || parent.type !== 'CallExpression' && parent.type !== 'NewExpression') return undefined
  return parent.arguments[0] === ancestors[index] ? fsAccess(bindings, parent) : undefined
}

/** Literals that are not data: module specifiers, property keys, directives. */
export const isStructuralLiteral = (node: AnyNode, parent: AnyNode | undefined): boolean => {
  if (parent === undefined) return false
  const type = parent.type
  if (type === 'ImportDeclaration' || type === 'ExportAllDeclaration' || type === 'ExportNamedDeclaration' || type === 'ImportExpression') return true
  if (type === 'Property' || type === 'PropertyDefinition' || type === 'MethodDefinition') return parent.key === node && !parent.computed
  if (type === 'ExpressionStatement') return parent.directive !== undefined
  if (type === 'CallExpression') return parent.callee.type === 'Identifier' && parent.callee.name === 'require' && parent.arguments[0] === node
  return false
}

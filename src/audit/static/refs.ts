import type { AnyNode, CallExpression, Expression, NewExpression, Super } from 'acorn'
import { requiredModule, type Bindings, type ModuleRef } from './bindings.js'

const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self'])
const MAX_CHAIN = 6

/** The literal name of a member access (`a.b`, `a['b']`), or undefined when computed from data. */
export const memberName = (node: AnyNode): string | undefined => {
  if (node.type !== 'MemberExpression') return undefined
  if (!node.computed && node.property.type === 'Identifier') return node.property.name
  if (node.property.type === 'Literal' && typeof node.property.value === 'string') return node.property.value
  if (node.property.type === 'TemplateLiteral' && node.property.expressions.length === 0) return node.property.quasis[0]?.value.cooked ?? undefined
  return undefined
}

const unwrap = (node: Expression | Super): Expression | Super => {
  let current = node
  for (;;) {
    if (current.type === 'SequenceExpression') current = current.expressions[current.expressions.length - 1] ?? current
    else if (current.type === 'ParenthesizedExpression') current = current.expression
    else if (current.type === 'ChainExpression') current = current.expression
    else return current
  }
}

/**
 * What an expression refers to, as a module and member chain: `cp.execSync` with
 * `const cp = require('child_process')` → child_process [execSync]; `process.env.HOME` →
 * global [process, env, HOME]; `(0, fs_1.existsSync)` → fs [existsSync]. Undefined for anything else.
 */
export const refOf = (bindings: Bindings, node: Expression | Super, depth = 0): ModuleRef | undefined => {
  const target = unwrap(node)
  if (depth > MAX_CHAIN) return undefined
  if (target.type === 'Identifier') {
    const bound = bindings.modules.get(target.name)
    if (bound !== undefined) return bound
    if (bindings.declared.has(target.name)) {
      const init = bindings.values.get(target.name)
      return init === undefined ? undefined : refOf(bindings, init, depth + 1)
    }
    return { module: 'global', path: [target.name] }
  }
  const module = requiredModule(target)
  if (module !== undefined) return { module, path: [] }
  if (target.type === 'MemberExpression') {
    const name = memberName(target)
    if (name === undefined) return undefined
    const base = refOf(bindings, target.object, depth + 1)
    if (base === undefined) return undefined
    if (base.module === 'global' && base.path.length === 1 && GLOBAL_OBJECTS.has(base.path[0] ?? '')) return { module: 'global', path: [name] }
    return { module: base.module, path: [...base.path, name] }
  }
  if (target.type === 'CallExpression') {
    const callee = refOf(bindings, target.callee, depth + 1)
    // os.userInfo() is the one call whose result we follow: its homedir is the real home.
    if (callee?.module === 'os' && callee.path.join('.') === 'userInfo') return { module: 'os', path: ['userInfo()'] }
  }
  return undefined
}

/** The callee of a call or `new`, as a ref. */
export const calleeRef = (bindings: Bindings, node: CallExpression | NewExpression): ModuleRef | undefined => refOf(bindings, node.callee)

/** `x.name(...)` → name, whatever x is (for member-name fallbacks on unknown objects). */
export const calleeMember = (node: CallExpression | NewExpression): string | undefined => {
  const callee = unwrap(node.callee)
  return callee.type === 'MemberExpression' ? memberName(callee) : callee.type === 'Identifier' ? callee.name : undefined
}

/** The object of `x.name(...)`, when the callee is a member access. */
export const calleeObject = (node: CallExpression | NewExpression): Expression | Super | undefined => {
  const callee = unwrap(node.callee)
  return callee.type === 'MemberExpression' ? callee.object : undefined
}

export const isRef = (ref: ModuleRef | undefined, module: string, ...path: string[]): boolean =>
  ref !== undefined && ref.module === module && ref.path.length === path.length && path.every((part, i) => ref.path[i] === part)

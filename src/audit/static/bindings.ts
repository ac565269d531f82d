import type { AnyNode, Expression, Pattern, Program } from 'acorn'
import { simple } from 'acorn-walk'

/** A module (or global) and the member chain read from it: `require('fs').promises.writeFile` → fs, [promises, writeFile]. */
export interface ModuleRef {
  /** Module id without `node:` (`fs`, `child_process`, `axios`), or `global` for globals. */
  readonly module: string
  readonly path: readonly string[]
}

/**
 * What the names of one file stand for, ignoring scopes: good enough for install scripts, which
 * are short and rarely shadow names. A name declared twice with different values, or reassigned,
 * stands for nothing (minified bundles reuse `e` and `t` everywhere), so it is never guessed at.
 */
export interface Bindings {
  /** Initialiser of a name declared once and never reassigned. */
  readonly values: ReadonlyMap<string, Expression>
  /** Names bound to a module or to a member of one. */
  readonly modules: ReadonlyMap<string, ModuleRef>
  /** Every declared name: an undeclared name is a global. */
  readonly declared: ReadonlySet<string>
  /** Function declarations and function-valued names declared once, to look inside helpers like `decode(s)`. */
  readonly functions: ReadonlyMap<string, AnyNode>
}

export const stripNodePrefix = (id: string): string => (id.startsWith('node:') ? id.slice(5) : id)

/** `require('m')`, `await import('m')`, `__importStar(require('m'))`, `require('m').default` → m. */
export const requiredModule = (node: AnyNode | null | undefined): string | undefined => {
  if (node === null || node === undefined) return undefined
  if (node.type === 'CallExpression') {
    const [first] = node.arguments
    if (node.callee.type === 'Identifier' && node.callee.name === 'require' && first?.type === 'Literal' && typeof first.value === 'string') {
      return stripNodePrefix(first.value)
    }
    const helper = node.callee.type === 'Identifier' ? node.callee.name : node.callee.type === 'MemberExpression' && node.callee.property.type === 'Identifier' ? node.callee.property.name : ''
    return helper.startsWith('_') && first !== undefined && first.type !== 'SpreadElement' ? requiredModule(first) : undefined
  }
  if (node.type === 'ImportExpression') return node.source.type === 'Literal' && typeof node.source.value === 'string' ? stripNodePrefix(node.source.value) : undefined
  if (node.type === 'AwaitExpression') return requiredModule(node.argument)
  if (node.type === 'MemberExpression') return node.property.type === 'Identifier' && node.property.name === 'default' && !node.computed ? requiredModule(node.object) : undefined
  if (node.type === 'ParenthesizedExpression') return requiredModule(node.expression)
  return undefined
}

interface Builder {
  readonly values: Map<string, Expression>
  readonly modules: Map<string, ModuleRef>
  readonly declared: Set<string>
  readonly spoiled: Set<string>
  readonly functions: Map<string, AnyNode>
}

const bindModule = (b: Builder, name: string, ref: ModuleRef): void => {
  const known = b.modules.get(name)
  if (known !== undefined && (known.module !== ref.module || known.path.join('.') !== ref.path.join('.'))) b.spoiled.add(name)
  else b.modules.set(name, ref)
}

const bindPattern = (b: Builder, id: Pattern, init: Expression | null | undefined): void => {
  if (id.type === 'Identifier') {
    b.declared.add(id.name)
    const module = requiredModule(init)
    if (module !== undefined) bindModule(b, id.name, { module, path: [] })
    else if (init !== null && init !== undefined) {
      if (b.values.has(id.name)) b.spoiled.add(id.name)
      else b.values.set(id.name, init)
    } else b.spoiled.add(id.name)
    return
  }
  if (id.type !== 'ObjectPattern') return
  const module = requiredModule(init) ?? (init?.type === 'Identifier' && init.name === 'process' ? 'process' : undefined)
  for (const prop of id.properties) {
    if (prop.type !== 'Property') continue
    const key = prop.key.type === 'Identifier' ? prop.key.name : prop.key.type === 'Literal' ? String(prop.key.value) : undefined
    const local = prop.value.type === 'Identifier' ? prop.value.name : prop.value.type === 'AssignmentPattern' && prop.value.left.type === 'Identifier' ? prop.value.left.name : undefined
    if (local === undefined) continue
    b.declared.add(local)
    if (module === 'process' && key !== undefined) bindModule(b, local, { module: 'global', path: ['process', key] })
    else if (module !== undefined && key !== undefined) bindModule(b, local, { module, path: [key] })
    else b.spoiled.add(local)
  }
}

/** Collect the bindings of a parsed file (pure). */
export const collectBindings = (program: Program): Bindings => {
  const b: Builder = { values: new Map(), modules: new Map(), declared: new Set(), spoiled: new Set(), functions: new Map() }
  simple(program, {
    VariableDeclarator(node) {
      bindPattern(b, node.id, node.init)
    },
    ImportDeclaration(node) {
      const module = typeof node.source.value === 'string' ? stripNodePrefix(node.source.value) : undefined
      if (module === undefined) return
      for (const spec of node.specifiers) {
        b.declared.add(spec.local.name)
        if (spec.type === 'ImportSpecifier') {
          const imported = spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value)
          bindModule(b, spec.local.name, { module, path: imported === 'default' ? [] : [imported] })
        } else bindModule(b, spec.local.name, { module, path: [] })
      }
    },
    AssignmentExpression(node) {
      if (node.left.type === 'Identifier') b.spoiled.add(node.left.name)
    },
    UpdateExpression(node) {
      if (node.argument.type === 'Identifier') b.spoiled.add(node.argument.name)
    },
    Function(node) {
      const fn = node as AnyNode
      if (fn.type === 'FunctionDeclaration' && fn.id !== null && fn.id !== undefined) {
        if (b.functions.has(fn.id.name)) b.spoiled.add(fn.id.name)
        b.functions.set(fn.id.name, fn)
      }
      if (node.id !== null && node.id !== undefined) b.declared.add(node.id.name)
      for (const param of node.params) if (param.type === 'Identifier') b.declared.add(param.name)
    },
    CatchClause(node) {
      if (node.param?.type === 'Identifier') b.declared.add(node.param.name)
    },
  })
  for (const [name, init] of b.values) {
    if (init.type === 'ArrowFunctionExpression' || init.type === 'FunctionExpression') b.functions.set(name, init)
  }
  for (const name of b.spoiled) {
    b.values.delete(name)
    b.modules.delete(name)
    b.functions.delete(name)
  }
  return { values: b.values, modules: b.modules, declared: b.declared, functions: b.functions }
}

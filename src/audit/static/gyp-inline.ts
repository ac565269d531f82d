import type { AnyNode } from 'acorn'
import { full } from 'acorn-walk'
import { builtinModules } from 'node:module'
import type { Severity } from '../../types.js'
import type { StaticRules } from './catalogue.js'
import { FindingCollector, type FindingSink } from './findings.js'
import { parseJavaScript } from './parse-js.js'
import { scanSource } from './source-analysis.js'
import type { SourcePosition } from './types.js'

const MAX_INLINE = 4096
const LOOKUP_NODES = new Set([
  'Program', 'ExpressionStatement', 'CallExpression', 'MemberExpression', 'Identifier', 'Literal', 'ConditionalExpression',
  'LogicalExpression', 'BinaryExpression', 'UnaryExpression', 'TemplateLiteral', 'TemplateElement', 'ChainExpression', 'ParenthesizedExpression',
])
const HARMLESS_BUILTINS = new Set(['path', 'os', 'process', 'util'])
const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')))

export interface InlineVerdict {
  /** The worst finding inside the code (they are reported at the expansion), or undefined. */
  readonly worst: Severity | undefined
  /** Only looks values up: one expression of requires, member reads and calls, no core module with side effects. */
  readonly lookupOnly: boolean
  /** Packages (`node-addon-api`) and package files (`lib/libvips`) it requires. */
  readonly packages: readonly string[]
  readonly local: readonly string[]
}

const requiredName = (node: AnyNode): string | undefined => {
  if (node.type !== 'CallExpression' || node.callee.type !== 'Identifier' || node.callee.name !== 'require') return undefined
  const [arg] = node.arguments
  return arg?.type === 'Literal' && typeof arg.value === 'string' ? arg.value : undefined
}

const lookupShape = (code: string): { ok: boolean; packages: string[] } => {
  const parsed = code.length <= MAX_INLINE ? parseJavaScript(code) : undefined
  if (parsed?.kind !== 'parsed' || parsed.program.body.length !== 1) return { ok: false, packages: [] }
  let ok = true
  const packages: string[] = []
  full(parsed.program, (node) => {
    if (!LOOKUP_NODES.has(node.type)) ok = false
    const name = requiredName(node)
    if (name === undefined || name.startsWith('.')) return
    const bare = name.replace(/^node:/, '')
    if (BUILTINS.has(bare.split('/')[0] ?? '') && !HARMLESS_BUILTINS.has(bare)) ok = false
    else packages.push(name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/'))
  })
  return { ok, packages }
}

/**
 * Judge the inline JavaScript of a binding.gyp `<!(node -p "...")` (pure given `rules`): analyse it
 * like any install-time code (its findings go to `sink`, at the expansion), and tell whether it only
 * looks a value up, as `require('node-addon-api').include` and sharp's `require('../lib/libvips')`
 * do, or does more.
 */
export const judgeInlineGyp = (code: string, file: string, rules: StaticRules, sink: FindingSink, at: SourcePosition): InlineVerdict => {
  const probe = new FindingCollector()
  const result = scanSource(code, file, { rules, sink: probe, anchor: at, depth: 1 })
  const found = probe.list()
  for (const f of found) sink.add(f.rule, f.severity, f.message, at, f.evidence.match)
  const shape = lookupShape(code)
  const worst = found.find((f) => f.severity === 'error')?.severity ?? found.find((f) => f.severity === 'warning')?.severity
  const local = result.targets.flatMap((t) => (t.kind === 'js' ? [t.path] : []))
  return { worst, lookupOnly: shape.ok, packages: shape.packages, local }
}

import { posix } from 'node:path'
import type { Severity } from '../../types.js'
import type { StaticRules } from './catalogue.js'
import { analyseArgv, analyseCommandLine, programName, type CommandAnalysis } from './command-analysis.js'
import type { FindingSink } from './findings.js'
import { judgeInlineGyp } from './gyp-inline.js'
import { gypStrings, parseGyp, type GypValue } from './gyp-parse.js'
import { indexLines, positionAt, type LineIndex } from './locate.js'
import { readShell } from './shell-words.js'
import { checkString } from './string-checks.js'
import { packagePath, type ScriptTarget } from './targets.js'
import type { SourcePosition } from './types.js'

interface GypCommand {
  /** A command string, or an argv (list form and `actions`). */
  readonly command: string | readonly string[]
  readonly offset: number
  readonly where: 'expansion' | 'action'
}

interface GypState {
  readonly file: string
  readonly dir: string
  readonly rules: StaticRules
  readonly sink: FindingSink
  readonly lines: LineIndex
  readonly targets: ScriptTarget[]
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'cmd', 'powershell', 'pwsh'])
const ESCALATING = new Set(['static-network-tool', 'static-download-exec', 'static-exfil-endpoint', 'static-metadata-endpoint'])

/** Index just past the `)` that closes the `(` at `open`, or the text's end. */
const closing = (text: string, open: number): number => {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++
    else if (text[i] === ')' && --depth === 0) return i + 1
  }
  return text.length
}

/** gyp references (`<(var)`, `<!(...)`) inside a command replaced by a word, so the shell reader sees a command. */
const blankReferences = (text: string): string => {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    let open = i + 1
    if ((c === '<' || c === '>') && text[open] !== undefined) {
      if (text[open] === '!') open++
      if (text[open] === '@') open++
      if (text[open] === '(') {
        const end = closing(text, open)
        out += 'GYP_VALUE'
        i = end
        continue
      }
    }
    out += c
    i++
  }
  return out
}

const MAX_EXPANSION_NESTING = 3

/**
 * Inner text of every `<!(...)`, `<!@(...)`, `>!(...)`, `<!pymod_do_main(...)` in a string, nested
 * ones too (each on its own, with its own nested references blanked). One pass per nesting level.
 */
const expansions = (text: string, depth = 0): string[] => {
  const found: string[] = []
  for (let bang = text.indexOf('!'); bang !== -1 && depth <= MAX_EXPANSION_NESTING; bang = text.indexOf('!', bang + 1)) {
    if (bang === 0 || !'<>^'.includes(text[bang - 1] as string)) continue
    let open = bang + 1
    if (text[open] === '@') open++
    if (text.startsWith('pymod_do_main', open)) open += 'pymod_do_main'.length
    if (text[open] !== '(') continue
    const end = closing(text, open)
    const inner = text.slice(open + 1, end === text.length && text[end - 1] !== ')' ? end : end - 1)
    found.push(blankReferences(inner), ...expansions(inner, depth + 1))
    bang = end - 1
  }
  return found
}

const listArgv = (inner: string): string[] | undefined => {
  const trimmed = inner.trim()
  if (!trimmed.startsWith('[')) return undefined
  const parsed = parseGyp(trimmed)
  if (parsed.kind !== 'parsed' || parsed.value.kind !== 'list') return undefined
  return parsed.value.items.map((item) => (item.kind === 'string' ? item.value : ''))
}

const actionCommands = (value: GypValue, inActions: boolean, out: GypCommand[]): void => {
  if (value.kind === 'list') for (const item of value.items) actionCommands(item, inActions, out)
  if (value.kind !== 'dict') return
  for (const [key, item] of value.entries) {
    const name = key.kind === 'string' ? key.value : ''
    if (inActions && name === 'action') {
      if (item.kind === 'list') out.push({ command: item.items.map((i) => (i.kind === 'string' ? i.value : '')), offset: item.offset, where: 'action' })
      else if (item.kind === 'string') out.push({ command: item.value, offset: item.offset, where: 'action' })
    } else actionCommands(item, name === 'actions' || name === 'postbuilds' || (inActions && name !== 'inputs' && name !== 'outputs'), out)
  }
}

const shown = (command: string | readonly string[]): string => {
  const text = typeof command === 'string' ? command : command.join(' ')
  return text.length > 100 ? `${text.slice(0, 99)}…` : text
}

const MAX_SHELL_NESTING = 3

/** Does the command write files through a shell redirection, here or inside `sh -c` / `cmd /c`? */
const redirects = (command: string | readonly string[], depth = 0): boolean => {
  if (depth > MAX_SHELL_NESTING) return false
  const simple = typeof command === 'string' ? readShell(command).flatMap((p) => p.commands) : [{ argv: [...command], redirects: [], substitutions: [] }]
  return simple.some((c) => {
    if (c.redirects.some((r) => r.op.includes('>'))) return true
    if (!SHELLS.has(programName(c.argv[0] ?? ''))) return false
    const flag = c.argv.findIndex((arg, i) => i > 0 && /^(?:-c|\/c|-command)$/i.test(arg))
    const inner = flag === -1 ? undefined : c.argv.slice(flag + 1).join(' ')
    return inner !== undefined && redirects(inner, depth + 1)
  })
}

const judge = (state: GypState, analysis: CommandAnalysis, command: string | readonly string[], at: SourcePosition): { severity: Severity; why: string } => {
  if (analysis.hits.some((h) => ESCALATING.has(h.rule))) return { severity: 'error', why: 'it downloads or connects out, which a build file has no reason to do. Do not approve the package' }
  if (analysis.hits.some((h) => h.severity === 'error')) return { severity: 'error', why: 'it does what no build step needs (see the other findings at this line). Do not approve the package' }
  if (redirects(command)) return { severity: 'warning', why: 'a shell writes files there; read the command before approving' }
  if (analysis.hits.some((h) => h.severity !== 'note')) return { severity: 'warning', why: 'it starts a notable program; read the command before approving' }
  const script = analysis.targets.find((t) => t.kind === 'js' || t.kind === 'shell')
  if (script !== undefined && 'path' in script) {
    return { severity: 'warning', why: `it runs the package's own ${script.path}, so that code runs even without an install script ("Phantom Gyp"); it was analysed too, check its findings` }
  }
  const helper = analysis.targets.find((t) => t.kind === 'text')
  if (helper !== undefined && 'path' in helper) return { severity: 'note', why: `it runs the package's own ${helper.path}, a build helper as gyp files often have (its text was searched too)` }
  const inline = analysis.targets.find((t) => t.kind === 'inline')
  if (inline !== undefined && inline.kind === 'inline') {
    const verdict = judgeInlineGyp(inline.code, state.file, state.rules, state.sink, at)
    for (const path of verdict.local) state.targets.push({ kind: 'js', path })
    if (verdict.worst === 'error') return { severity: 'error', why: 'its inline JavaScript does what no build step needs (see the other findings at this line). Do not approve the package' }
    if (verdict.worst !== undefined || !verdict.lookupOnly) return { severity: 'warning', why: 'its inline JavaScript does more than look up build settings; read it before approving' }
    const ordinary = verdict.packages.length > 0 && verdict.packages.every((p) => state.rules.gypModules.has(p))
    const asks = [...verdict.local.map((p) => `the package's own ${p}`), ...verdict.packages.filter((p) => !state.rules.gypModules.has(p))]
    return {
      severity: 'note',
      why: ordinary || asks.length === 0 ? 'a lookup of build settings, ordinary for node-addon-api / nan addons' : `it asks ${asks.join(', ')} for build settings${verdict.local.length > 0 ? ' (analysed too)' : ''}`,
    }
  }
  return { severity: 'note', why: 'it looks like ordinary build configuration' }
}

const reviewCommand = (state: GypState, cmd: GypCommand): void => {
  const at = positionAt(state.lines, state.file, cmd.offset)
  const raw = typeof cmd.command === 'string' ? analyseCommandLine(cmd.command, state.rules) : analyseArgv(cmd.command, state.rules)
  const analysis = { ...raw, hits: raw.hits.filter((h) => !(h.rule === 'static-program' && h.severity === 'warning' && state.rules.gypOrdinary.has(h.match))) }
  for (const h of analysis.hits) state.sink.add(h.rule, h.severity, h.message, at, h.match)
  for (const target of analysis.targets) {
    if (target.kind === 'js' || target.kind === 'shell' || target.kind === 'text') {
      const path = packagePath(target.path, state.dir)
      if (path !== undefined) state.targets.push({ ...target, path })
    } else if (target.kind === 'npm-script') state.targets.push(target)
  }
  const { severity, why } = judge(state, analysis, cmd.command, at)
  const when = cmd.where === 'action' ? 'as a build action' : 'when node-gyp configures the build'
  const program = analysis.programs[0] ?? programName((typeof cmd.command === 'string' ? cmd.command.trim().split(/\s/, 1)[0] : cmd.command[0]) ?? '')
  const rule = cmd.where === 'action' ? 'static-gyp-action' : 'static-gyp-command'
  state.sink.add(rule, severity, `${state.file} runs \`${shown(cmd.command)}\` ${when}: ${why}.`, at, `${cmd.where}:${program}`)
}

/**
 * Review a binding.gyp without running node-gyp (pure given `rules`): its command expansions
 * (`<!(...)`, `<!@(...)`, run by gyp while it configures the build, even for a package with no
 * install script), its `actions`, and the text rules on every string. Returns the package files the
 * commands run, to be analysed too.
 */
export const scanBindingGyp = (text: string, file: string, rules: StaticRules, sink: FindingSink): ScriptTarget[] => {
  const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file)
  const state: GypState = { file, dir, rules, sink, lines: indexLines(text), targets: [] }
  const parsed = parseGyp(text)
  const commands: GypCommand[] = []
  if (parsed.kind === 'failed') {
    sink.add('static-unparsed', 'note', `${file} could not be read as a gyp file (${parsed.message}); its command expansions were still searched as text.`, positionAt(state.lines, file, parsed.offset))
    for (const inner of expansions(text)) commands.push({ command: listArgv(inner) ?? inner, offset: text.indexOf(inner), where: 'expansion' })
  } else {
    for (const s of gypStrings(parsed.value)) {
      for (const h of checkString(s.value, undefined, rules).hits) sink.add(h.rule, h.severity, h.message, positionAt(state.lines, file, s.offset), h.match)
      for (const inner of expansions(s.value)) commands.push({ command: listArgv(inner) ?? inner, offset: s.offset, where: 'expansion' })
    }
    actionCommands(parsed.value, false, commands)
  }
  for (const cmd of commands) reviewCommand(state, cmd)
  return state.targets
}

import type { StaticRules } from './catalogue.js'
import { analyseCommandLine } from './command-analysis.js'
import type { FindingSink } from './findings.js'
import { indexLines, positionAt } from './locate.js'
import { checkString } from './string-checks.js'
import { packagePath, type ScriptTarget } from './targets.js'

const MAX_LINES = 20_000

/** Logical lines (backslash continuations joined) with the offset each starts at. */
const logicalLines = (text: string): { text: string; offset: number }[] => {
  const out: { text: string; offset: number }[] = []
  let start = 0
  let current = ''
  let currentStart = 0
  while (start <= text.length && out.length < MAX_LINES) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    const line = text.slice(start, end).replace(/\r$/, '')
    if (current === '') currentStart = start
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `
    else {
      out.push({ text: current + line, offset: currentStart })
      current = ''
    }
    if (newline === -1) break
    start = newline + 1
  }
  return out
}

/**
 * Review a shell script run by an install hook (`sh setup.sh`, `./install.sh`, a .ps1 or .bat)
 * line by line, with the command rules and the text rules; for other files (`python x.py`) only the
 * text rules. The whole script is also read once as one command list, so that a download on one
 * line and `chmod +x` / run on the next are seen together. Returns what the script runs next.
 */
export const scanShellText = (text: string, file: string, isShell: boolean, rules: StaticRules, sink: FindingSink): ScriptTarget[] => {
  const lines = indexLines(text)
  const targets: ScriptTarget[] = []
  let firstDownload: number | undefined
  for (const line of logicalLines(text)) {
    const trimmed = line.text.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('::') || /^rem\s/i.test(trimmed)) continue
    const at = positionAt(lines, file, line.offset + (line.text.length - line.text.trimStart().length))
    for (const h of checkString(line.text, undefined, rules).hits) sink.add(h.rule, h.severity, h.message, at, h.match)
    if (!isShell) continue
    const analysis = analyseCommandLine(line.text, rules)
    for (const h of analysis.hits) sink.add(h.rule, h.severity, h.message, at, h.match)
    if (firstDownload === undefined && analysis.programs.some((p) => rules.downloaders.has(p))) firstDownload = line.offset
    for (const target of analysis.targets) {
      if (target.kind === 'js' || target.kind === 'shell' || target.kind === 'text') {
        const path = packagePath(target.path, '')
        if (path !== undefined) targets.push({ ...target, path })
      } else if (target.kind !== 'inline') targets.push(target)
    }
  }
  if (isShell && firstDownload !== undefined) {
    const at = positionAt(lines, file, firstDownload)
    for (const h of analyseCommandLine(text, rules).hits) if (h.match === 'download, chmod, run') sink.add(h.rule, h.severity, h.message, at, h.match)
  }
  return targets
}

import type { StaticRules } from './catalogue.js'
import { analyseCommandLine, type CommandHit } from './command-analysis.js'
import type { FsAccess } from './js-calls.js'
import { credentialHit, persistenceHit } from './path-hits.js'
import { scanText, type TextScan } from './text-checks.js'

const PIPE_HINTS = ['curl', 'wget', 'iwr', 'invoke-webrequest', 'downloadstring']

/** A pipe into a shell hidden in any string (the command may be run later through a variable). */
const pipeHits = (text: string, rules: StaticRules): CommandHit[] => {
  if (!text.includes('|') && !text.includes('$(') && !text.includes('<(')) return []
  const lower = text.toLowerCase()
  if (!PIPE_HINTS.some((hint) => lower.includes(hint))) return []
  return analyseCommandLine(text, rules).hits.filter((h) => h.rule === 'static-download-exec')
}

/**
 * Every check on one folded string (pure): credential paths (policies/trace/sensitive-paths.json,
 * the tracer's own catalogue), persistence targets when the string is a write's path, the text
 * rules of text-checks.ts, and pipes into shells.
 */
export const checkString = (text: string, access: FsAccess | undefined, rules: StaticRules): TextScan => {
  const scan = scanText(text, rules)
  const hits = [...scan.hits, ...pipeHits(text, rules)]
  // A workflow path is already static-workflow-write; a path that is both a credential and a
  // persistence target (~/.npmrc) counts as a persistence target only when it is written.
  const written = access === 'write'
  const credential = written ? undefined : credentialHit(text, access, rules)
  const persistence = credential !== undefined || hits.some((h) => h.rule === 'static-workflow-write') ? undefined : persistenceHit(text, written, rules)
  const path = persistence ?? credential ?? (written ? credentialHit(text, access, rules) : undefined)
  if (path !== undefined) hits.push(path)
  return { ...scan, hits }
}

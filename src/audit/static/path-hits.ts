import type { StaticRules } from './catalogue.js'
import type { CommandHit } from './command-analysis.js'
import type { FsAccess } from './js-calls.js'
import { pathForms } from './path-forms.js'
import { display } from './symbolic.js'

const VERB: Readonly<Record<FsAccess | 'none', string>> = {
  read: 'Reads', check: 'Checks for', write: 'Writes to', chmod: 'Changes the mode of', none: 'Refers to',
}

const entryFor = (rules: StaticRules, kind: 'credential' | 'persistence', forms: readonly string[]) =>
  rules.paths.entries.find((c) => c.entry.kind === kind && forms.some((f) => c.match.test(f)) && !forms.some((f) => c.exclude?.test(f) === true))?.entry

/** A credential path of policies/trace/sensitive-paths.json named by a string or an argument (pure). */
export const credentialHit = (text: string, access: FsAccess | undefined, rules: StaticRules): CommandHit | undefined => {
  const forms = pathForms(text)
  const entry = forms.length === 0 ? undefined : entryFor(rules, 'credential', forms)
  if (entry === undefined) return undefined
  return {
    rule: 'static-credential-path', severity: entry.severity ?? 'error', match: entry.id,
    message: `${VERB[access ?? 'none']} ${display(text)}: ${entry.description}. An install script has no reason to touch it; do not approve the package until you know why it does.`,
  }
}

/**
 * Relative paths resolve against the package directory (the hooks' working directory), so only a
 * dot-file name (`.bashrc`, `.config/systemd/...`) may stand for one in the home directory.
 */
const dotOrAnchored = (text: string): boolean =>
  /^[\u0001-\u0004~/$]/.test(text) || text.startsWith('\u0000/.') || text.startsWith('.') && !text.startsWith('./') && !text.startsWith('../')

/**
 * A persistence target of policies/trace/sensitive-paths.json (pure): an error when the code writes
 * to it, a warning when it only names a home-relative one such as `.bashrc` (the write may go
 * through a variable). System paths that are only named (`/usr/bin/ldd`) are read far more often
 * than written, so they count only when written.
 */
export const persistenceHit = (text: string, written: boolean, rules: StaticRules): CommandHit | undefined => {
  if (!written && text.startsWith('/') || !dotOrAnchored(text)) return undefined
  const forms = pathForms(text)
  const entry = forms.length === 0 ? undefined : entryFor(rules, 'persistence', forms)
  if (entry === undefined) return undefined
  return written
    ? { rule: 'static-persistence-path', severity: entry.severity ?? 'error', match: entry.id, message: `Writes to ${display(text)}: ${entry.description}. Do not approve it.` }
    : { rule: 'static-persistence-path', severity: 'warning', match: entry.id, message: `Names ${display(text)}: ${entry.description}. Find out whether the script writes there before approving.` }
}

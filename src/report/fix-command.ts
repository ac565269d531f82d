import { denyCommand } from '../policy/decide.js'
import type { Finding } from '../types.js'

/** What a person runs about a finding: the label says what the command does. */
export interface FixLine {
  readonly label: 'approve with' | 'fix' | 'deny with' | 'rerun with'
  readonly command: string
}

/** Rules whose `fix` approves the package (its command is `safe-install policy approve <name>`). */
const APPROVAL_RULES: ReadonlySet<string> = new Set(['unreviewed-script', 'script-changed'])

/**
 * What a dependency did that nobody grants, or that has no grant of its own (an egress refusal
 * carries its grant as `fix` when one is possible): the one command that stops it running again
 * is a deny (the policy grants hosts, paths and variables, never a credential read or a process
 * left behind).
 */
const DENY_RULES: ReadonlySet<string> = new Set([
  'credential-read', 'secret-exfiltration', 'persistence', 'package-tamper', 'escaped-process', 'metadata-endpoint',
  'direct-connection', 'process-spawn', 'dns-query', 'egress-blocked', 'egress-unexpected', 'known-malicious',
])

/** The project itself (its own scripts, its own manifest): there is no approval to withdraw. */
const isDependency = (pkg: Finding['package']): boolean => pkg.location !== '' && !pkg.name.startsWith('(')

/**
 * The exact command for a finding: its own `evidence.fix` when it has one, else, for a warning or
 * an error about a dependency, the command that denies it (what it did is never grantable) or that
 * reruns its failed script once the cause is fixed. Notes and findings about the project get none.
 * Pure.
 */
export const fixFor = (finding: Finding): FixLine | undefined => {
  const fix = finding.evidence['fix']
  if (typeof fix === 'string' && fix !== '') return { label: APPROVAL_RULES.has(finding.rule) ? 'approve with' : 'fix', command: fix }
  if (finding.severity === 'note' || !isDependency(finding.package)) return undefined
  if (DENY_RULES.has(finding.rule) || finding.rule.startsWith('static-')) return { label: 'deny with', command: denyCommand(finding.package) }
  if (finding.rule === 'script-failed') return { label: 'rerun with', command: `safe-install rebuild ${finding.package.name}` }
  return undefined
}

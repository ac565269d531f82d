import type { LearnResult, LearntGrant } from '../policy/learn.js'
import { stripControlInline } from '../report/sanitize.js'
import type { Report } from '../types.js'

export interface LearnView {
  readonly policyFile: string
  readonly reportFile: string
  readonly report: Report
  readonly created: boolean
  readonly changed: boolean
  readonly dryRun: boolean
  readonly diff: string
}

const entries = (grant: LearntGrant): number => grant.network.length + grant.write.length + (grant.timeoutSec === undefined ? 0 : 1)

const grantLines = (grants: readonly LearntGrant[]): string[] => grants.flatMap((g) => g.because.map((line) => `  ${g.key}: ${line}`))

/**
 * The text `policy learn` prints (pure): what was learnt and from which finding, what was not
 * granted and why, notes, then what happened to the file (or the diff, with --dry-run). Every
 * string from the report has its control characters stripped: hook output can name any path.
 */
export const renderLearn = (result: LearnResult, view: LearnView): string => {
  const { report } = view
  const lines = [`safe-install: policy learn from ${view.reportFile} (${report.command}, mode ${report.mode}, ${report.packages.length} ${report.packages.length === 1 ? 'package' : 'packages'} with scripts)`]
  lines.push(result.grants.length === 0 ? 'Nothing new to grant.' : 'Grants', ...grantLines(result.grants))
  if (result.notGranted.length > 0) {
    lines.push(`Not granted (${result.notGranted.length})`)
    for (const item of result.notGranted) {
      lines.push(`  ${item.package}${item.event === undefined ? '' : ` ${item.event}`}  ${item.rule}  ${item.subject}`, `      ${item.kind}: ${item.reason}`)
    }
  }
  if (result.withheld.length > 0) {
    lines.push('Withheld: learnt for packages with violations, not written (--allow-violations writes them)', ...grantLines(result.withheld))
  }
  if (result.notes.length > 0) lines.push('Notes', ...result.notes.map((note) => `  ${note}`))
  const count = result.grants.reduce((sum, g) => sum + entries(g), 0)
  const what = `${count} ${count === 1 ? 'entry' : 'entries'} for ${result.grants.length} ${result.grants.length === 1 ? 'package' : 'packages'}`
  if (!view.changed) lines.push(`${view.policyFile}: unchanged${result.grants.length === 0 ? '' : ' (it already grants all of this)'}`)
  else if (view.dryRun) lines.push(`--dry-run: ${view.policyFile} not ${view.created ? 'created' : 'changed'}; it would get ${what}:`)
  else lines.push(`${view.created ? 'created' : 'updated'} ${view.policyFile}: ${what}`)
  const body = lines.map(stripControlInline).join('\n')
  return `${body}\n${view.dryRun && view.changed ? view.diff.split('\n').map(stripControlInline).join('\n') : ''}`
}

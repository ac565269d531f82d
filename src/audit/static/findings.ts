import type { Severity } from '../../types.js'
import type { SourcePosition, StaticFinding, StaticRuleId } from './types.js'

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, note: 2 }

export interface FindingSink {
  add(rule: StaticRuleId, severity: Severity, message: string, at: SourcePosition, match?: string): void
}

/**
 * Findings of one package: one per rule, file and match (the first occurrence, or the most severe),
 * with the number of further occurrences in `evidence.more`, so that a 2 MB bundle repeating a
 * pattern a thousand times yields one finding, not a thousand.
 */
export class FindingCollector implements FindingSink {
  private readonly byKey = new Map<string, StaticFinding>()

  add(rule: StaticRuleId, severity: Severity, message: string, at: SourcePosition, match?: string): void {
    const key = `${rule}\u0000${at.file}\u0000${match ?? message}`
    const evidence = { file: at.file, line: at.line, column: at.column, snippet: at.snippet, ...(match === undefined ? {} : { match }) }
    const known = this.byKey.get(key)
    if (known === undefined) {
      this.byKey.set(key, { rule, severity, message, evidence })
      return
    }
    if (known.evidence.line === at.line && known.evidence.column === at.column && RANK[severity] >= RANK[known.severity]) return
    const more = (known.evidence.more ?? 0) + 1
    this.byKey.set(key, RANK[severity] < RANK[known.severity]
      ? { rule, severity, message, evidence: { ...evidence, more } }
      : { ...known, evidence: { ...known.evidence, more } })
  }

  /** Errors first, then warnings, then notes; within a severity by file and line. */
  list(): StaticFinding[] {
    return [...this.byKey.values()].sort((a, b) =>
      RANK[a.severity] - RANK[b.severity] || a.evidence.file.localeCompare(b.evidence.file) || a.evidence.line - b.evidence.line || a.evidence.column - b.evidence.column)
  }
}

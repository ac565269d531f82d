import type { Severity } from '../../types.js'

/**
 * Rule ids of the static install-script review (the `static-*` family of DESIGN.md). Each is a
 * pattern seen in code that was read, never run.
 */
export const STATIC_RULE_IDS = [
  'static-credential-path',
  'static-env-dump',
  'static-network-tool',
  'static-download-exec',
  'static-eval-decoded',
  'static-obfuscation',
  'static-exfil-endpoint',
  'static-metadata-endpoint',
  'static-github-api',
  'static-workflow-write',
  'static-runtime-installer',
  'static-ai-agent',
  'static-secret-scanner',
  'static-program',
  'static-persistence-path',
  'static-gyp-command',
  'static-gyp-action',
  'static-unparsed',
  'static-skipped',
] as const

export type StaticRuleId = typeof STATIC_RULE_IDS[number]

/** Where a finding was seen. `line` and `column` are 1-based; `snippet` is one line, trimmed and printable. */
export interface StaticEvidence {
  /** Path relative to the package directory, with `/` separators (`package.json` for scripts). */
  readonly file: string
  readonly line: number
  readonly column: number
  readonly snippet: string
  /** The catalogue entry or pattern that matched (`npm-rc`, `webhook.site`, `curl` ...), when there is one. */
  readonly match?: string
  /** Further occurrences of the same rule and match in the same file, folded into this finding. */
  readonly more?: number
}

export interface StaticFinding {
  readonly rule: StaticRuleId
  readonly severity: Severity
  /** One sentence a person can act on: what was seen, why it matters, what to do. */
  readonly message: string
  readonly evidence: StaticEvidence
}

/** A position in a file, 1-based, and the text to quote. */
export interface SourcePosition {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly snippet: string
}

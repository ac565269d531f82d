import type { PathSegment } from '../package-json-text.js'

export type ImportTool = 'pnpm' | 'bun' | 'yarn' | 'lavamoat'

/** One approval or denial another tool recorded, in allowScripts terms. */
export interface ImportedDecision {
  readonly tool: ImportTool
  /** Where it was read, for the output: `pnpm-workspace.yaml allowBuilds["esbuild"]`. */
  readonly from: string
  readonly name: string
  /** The exact versions it names; null for every version. */
  readonly versions: readonly string[] | null
  readonly allow: boolean
  /** What changes in meaning on the way (a LavaMoat path reduced to its package, ...). */
  readonly note?: string
}

/** Something another tool decided that allowScripts cannot express, and why. */
export interface UnmappedDecision {
  readonly tool: ImportTool
  readonly from: string
  readonly reason: string
}

export interface ImportFindings {
  readonly decisions: readonly ImportedDecision[]
  readonly unmapped: readonly UnmappedDecision[]
  /** Whether the tool's settings were present at all (`--from auto` imports every tool found). */
  readonly found: boolean
}

/** A configuration file as read: its value and the `file:line:col` of a path in it. */
export interface SourceDocument {
  /** As shown to the user (relative to the project). */
  readonly file: string
  readonly value: unknown
  readonly locate: (path: readonly PathSegment[]) => string
}

import type { Severity } from '../../types.js'
import type { StaticRules } from './catalogue.js'
import { display } from './symbolic.js'
import type { ScriptTarget } from './targets.js'
import type { StaticRuleId } from './types.js'

/** One thing a command line would do, without a position: the caller knows where the command was. */
export interface CommandHit {
  readonly rule: StaticRuleId
  readonly severity: Severity
  readonly message: string
  readonly match: string
}

export interface CommandAnalysis {
  readonly hits: CommandHit[]
  readonly targets: ScriptTarget[]
  /** Program names the command runs (basenames, lower case), wrappers included. */
  readonly programs: string[]
}

/** The review of one command line in progress; `nested` reviews code a command hands to a shell. */
export interface CommandState {
  readonly rules: StaticRules
  readonly depth: number
  readonly out: CommandAnalysis
  readonly nested: (state: CommandState, text: string) => { downloads: boolean }
}

/** Longest argument matched against catalogue regexes. */
export const MAX_ARG = 2000

export const programName = (word: string): string =>
  (word.split(/[\\/]/).pop() ?? word).toLowerCase().replace(/\.(?:exe|cmd|bat)$/, '')

export const shown = (argv: readonly string[]): string => {
  const text = display(argv.join(' '))
  return text.length > 100 ? `${text.slice(0, 99)}…` : text
}

export const hit = (state: CommandState, rule: StaticRuleId, severity: Severity, message: string, match: string): void => {
  state.out.hits.push({ rule, severity, message, match })
}

/** `-c`, `-ec`, `-lc` ...: a short flag cluster containing `letter`. */
export const flagCluster = (arg: string, letter: string): boolean =>
  arg.length <= 8 && arg.startsWith('-') && !arg.startsWith('--') && /^-[a-z]+$/i.test(arg) && arg.slice(1).toLowerCase().includes(letter)

export const isRelativePath = (word: string): boolean =>
  word !== '' && !word.startsWith('-') && !word.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(word) && !word.includes('\u0000')

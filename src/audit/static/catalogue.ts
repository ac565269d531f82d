import type { Severity } from '../../types.js'
import { loadPathRules, readPolicyData, type PathRules } from '../../trace/path-rules.js'
import { loadProgramRules, type ProgramRules } from '../../trace/program-rules.js'
import { compileTextPatterns, type TextPatterns } from './text-match.js'
import type { StaticRuleId } from './types.js'

const STATIC_DIR = new URL('../../../policies/static/', import.meta.url)

interface PatternEntry {
  readonly id: string
  readonly patterns: readonly string[]
  readonly description: string
  readonly sources?: readonly string[]
}

interface EndpointEntry extends PatternEntry {
  readonly rule: 'static-exfil-endpoint' | 'static-metadata-endpoint'
}

interface CommandEntry {
  readonly id: string
  readonly rule: StaticRuleId
  readonly programs: readonly string[]
  readonly args?: readonly string[]
  readonly severity: Severity
  readonly description: string
}

/** policies/static/static-rules.json (schema: policies/static/static-rules.schema.json). */
export interface StaticRulesFile {
  readonly endpoints: readonly EndpointEntry[]
  readonly runtimeInstallers: readonly PatternEntry[]
  readonly aiAgents: {
    readonly programs: readonly string[]
    readonly flags: readonly { readonly flag: string; readonly needsAgentName: boolean }[]
    readonly description: string
  }
  readonly secretScanners: { readonly patterns: readonly string[]; readonly description: string }
  readonly github: {
    readonly repoCreation: readonly string[]
    readonly workflowPaths: readonly string[]
    readonly api: readonly string[]
    readonly tokenEnv: readonly string[]
  }
  readonly commands: readonly CommandEntry[]
  readonly downloaders: readonly string[]
  readonly interpreters: readonly string[]
  readonly tracerPrograms: Readonly<Record<string, readonly string[]>>
  readonly gypOrdinary: readonly string[]
  readonly builders: readonly string[]
  readonly gypModules: readonly string[]
  readonly obfuscation: ObfuscationLimits
}

export interface ObfuscationLimits {
  readonly hexIdentifiers: number
  readonly stringArray: number
  readonly bigStringArray: number
  readonly escapedLine: number
  readonly escapedShare: number
  readonly blobLength: number
  readonly blobEntropy: number
}

export interface CompiledCommand extends CommandEntry {
  readonly names: ReadonlySet<string>
  readonly argPatterns: readonly RegExp[]
}

/** Everything the static review matches against, compiled once per run by {@link loadStaticRules}. */
export interface StaticRules {
  readonly file: StaticRulesFile
  /** Endpoint patterns; the id of a match is `<entry index>`. */
  readonly endpoints: TextPatterns
  readonly runtimeInstallers: TextPatterns
  readonly secretScanners: TextPatterns
  readonly aiFlags: TextPatterns
  readonly github: { readonly repoCreation: TextPatterns; readonly workflows: TextPatterns; readonly api: TextPatterns }
  readonly commands: readonly CompiledCommand[]
  readonly downloaders: ReadonlySet<string>
  readonly interpreters: ReadonlySet<string>
  readonly aiPrograms: ReadonlySet<string>
  /** notable-programs entry id → static rule, or `ignore`. */
  readonly tracerRule: ReadonlyMap<string, StaticRuleId | 'ignore'>
  readonly builders: ReadonlySet<string>
  readonly gypModules: ReadonlySet<string>
  /** notable-programs entry ids whose warnings binding.gyp commands drop (gyp runs Python). */
  readonly gypOrdinary: ReadonlySet<string>
  readonly paths: PathRules
  readonly programs: ProgramRules
}

const compileCommand = (entry: CommandEntry): CompiledCommand => ({
  ...entry,
  names: new Set(entry.programs.map((name) => name.toLowerCase())),
  argPatterns: (entry.args ?? []).map((source) => {
    try {
      return new RegExp(source, 'iu')
    } catch (error) {
      throw new Error(`policies/static/static-rules.json: commands.${entry.id}: bad regular expression`, { cause: error })
    }
  }),
})

const entryPatterns = (entries: readonly PatternEntry[]): TextPatterns =>
  compileTextPatterns(entries.flatMap((entry, index) => entry.patterns.map((text) => ({ text, tag: index }))))

/** Compile a validated catalogue with the tracer's path and program catalogues (pure). */
export const compileStaticRules = (file: StaticRulesFile, paths: PathRules, programs: ProgramRules): StaticRules => {
  const tracerRule = new Map<string, StaticRuleId | 'ignore'>()
  for (const [rule, ids] of Object.entries(file.tracerPrograms)) {
    for (const id of ids) tracerRule.set(id, rule as StaticRuleId | 'ignore')
  }
  const plain = (texts: readonly string[]): TextPatterns => compileTextPatterns(texts.map((text) => ({ text, tag: 0 })))
  return {
    file,
    endpoints: entryPatterns(file.endpoints),
    runtimeInstallers: entryPatterns(file.runtimeInstallers),
    secretScanners: plain(file.secretScanners.patterns),
    aiFlags: compileTextPatterns(file.aiAgents.flags.map((flag) => ({ text: flag.flag, tag: flag.needsAgentName ? 1 : 0 }))),
    github: { repoCreation: plain(file.github.repoCreation), workflows: plain(file.github.workflowPaths), api: plain(file.github.api) },
    commands: file.commands.map(compileCommand),
    downloaders: new Set(file.downloaders.map((name) => name.toLowerCase())),
    interpreters: new Set(file.interpreters.map((name) => name.toLowerCase())),
    aiPrograms: new Set(file.aiAgents.programs),
    tracerRule,
    builders: new Set(file.builders),
    gypModules: new Set(file.gypModules),
    gypOrdinary: new Set(file.gypOrdinary),
    paths,
    programs,
  }
}

/**
 * Load policies/static/static-rules.json (validated against its schema) together with the tracer's
 * policies/trace/sensitive-paths.json and notable-programs.json, so that a path or program means the
 * same thing whether it was seen in code or at run time. A bad shipped file is a bug (plain Error).
 */
export const loadStaticRules = (dir: URL = STATIC_DIR): StaticRules =>
  compileStaticRules(readPolicyData<StaticRulesFile>('static-rules.json', 'static-rules.schema.json', dir), loadPathRules(), loadProgramRules())

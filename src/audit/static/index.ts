/**
 * `safe-install audit`'s static review of install scripts and binding.gyp (rule ids `static-*`):
 * it reads a package's files offline and never runs them.
 */
import { loadStaticRules as loadRules, type StaticRules } from './catalogue.js'
import { FindingCollector } from './findings.js'
import { scanBindingGyp } from './gyp-analysis.js'
import { scanSource } from './source-analysis.js'
import type { StaticFinding } from './types.js'

export { analysePackage, INSTALL_HOOKS, type PackageAnalysisOptions } from './analyse-package.js'
export type { MemoryPackage, PackageRoot } from './package-files.js'
export { compileStaticRules, loadStaticRules, type StaticRules, type StaticRulesFile } from './catalogue.js'
export { STATIC_RULE_IDS, type StaticEvidence, type StaticFinding, type StaticRuleId } from './types.js'

/**
 * Findings for one JavaScript source (pure given `rules`; without them the catalogues are read from
 * policies/). `file` is the path shown in evidence, relative to the package. Inline code it runs
 * (`node -e`) and payloads it decodes are analysed too; files it requires are not (see analysePackage).
 */
export const analyseSource = (code: string, file: string, rules?: StaticRules): StaticFinding[] => {
  const sink = new FindingCollector()
  scanSource(code, file, { rules: rules ?? loadRules(), sink })
  return sink.list()
}

/** Findings for one binding.gyp text (pure given `rules`): command expansions, actions, text rules. */
export const analyseBindingGyp = (text: string, file = 'binding.gyp', rules?: StaticRules): StaticFinding[] => {
  const sink = new FindingCollector()
  scanBindingGyp(text, file, rules ?? loadRules(), sink)
  return sink.list()
}

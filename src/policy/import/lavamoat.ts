import { isPackageName } from '../allow-scripts-keys.js'
import { describeSource, parseToolSpec, readBoolean, readMap } from './fields.js'
import type { ImportedDecision, ImportFindings, SourceDocument, UnmappedDecision } from './types.js'

/**
 * LavaMoat allow-scripts' `lavamoat.allowScripts` (package.json): keys are canonical names, the
 * package names along the shortest dependency path (`webpack>watchpack>fsevents`), optionally with
 * `#<version>` (that version and older). allowScripts names packages, not paths: the leaf package
 * is approved or denied wherever it is installed, and a `#version` becomes an exact pin; both
 * changes are noted on the decision.
 */
export const importLavamoat = (packageJson: SourceDocument): ImportFindings => {
  const decisions: ImportedDecision[] = []
  const unmapped: UnmappedDecision[] = []
  const lavamoat = readMap(packageJson, ['lavamoat'], 'a map of LavaMoat settings')
  const entries = readMap(packageJson, ['lavamoat', 'allowScripts'])
  for (const [pattern] of entries ?? []) {
    const path = ['lavamoat', 'allowScripts', { key: pattern }]
    const allow = readBoolean(packageJson, path)
    if (allow === undefined) continue
    const from = describeSource(packageJson, path)
    const hash = pattern.lastIndexOf('#')
    const canonical = hash > 0 && !pattern.startsWith('github:') ? pattern.slice(0, hash) : pattern
    const version = canonical === pattern ? null : pattern.slice(hash + 1)
    const steps = canonical.split('>')
    const leaf = steps.at(-1) ?? ''
    if (canonical === '$root$' || leaf === '' || (!isPackageName(leaf) && !leaf.startsWith('github:'))) {
      unmapped.push({ tool: 'lavamoat', from, reason: 'not a package LavaMoat names by its canonical path' })
      continue
    }
    const parsed = parseToolSpec(version === null ? leaf : `${leaf}@${version}`)
    if ('reason' in parsed) {
      unmapped.push({ tool: 'lavamoat', from, reason: parsed.reason })
      continue
    }
    const notes = [
      steps.length > 1 ? `LavaMoat ${allow ? 'approved' : 'denied'} ${leaf} where reached through ${steps.slice(0, -1).join('>')}; allowScripts applies to every installed copy` : '',
      version !== null && allow ? `LavaMoat also allowed versions older than ${version}; only ${version} is pinned` : '',
    ].filter((note) => note !== '')
    decisions.push({ tool: 'lavamoat', from, name: parsed.name, versions: parsed.versions, allow, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) })
  }
  return { decisions, unmapped, found: lavamoat !== undefined && entries !== undefined }
}

import { describeSource, parseToolSpec, readList } from './fields.js'
import type { ImportedDecision, ImportFindings, SourceDocument, UnmappedDecision } from './types.js'

/**
 * Bun's `trustedDependencies` (package.json): the packages whose scripts Bun runs. Each becomes an
 * approval. Bun's built-in default list (used only while the field is absent) is not imported:
 * allowScripts approves nothing by default.
 */
export const importBun = (packageJson: SourceDocument): ImportFindings => {
  const list = readList(packageJson, ['trustedDependencies'])
  const decisions: ImportedDecision[] = []
  const unmapped: UnmappedDecision[] = []
  for (const item of list ?? []) {
    const parsed = parseToolSpec(item.value)
    if ('reason' in parsed) unmapped.push({ tool: 'bun', from: `${describeSource(packageJson, item.path)} ${JSON.stringify(item.value)}`, reason: parsed.reason })
    else decisions.push({ tool: 'bun', from: describeSource(packageJson, item.path), name: parsed.name, versions: parsed.versions, allow: true })
  }
  return { decisions, unmapped, found: list !== undefined }
}

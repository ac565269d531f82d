import { describeSource, fail, parseToolSpec, readBoolean, readMap } from './fields.js'
import type { ImportedDecision, ImportFindings, SourceDocument, UnmappedDecision } from './types.js'

/**
 * Yarn Berry's `dependenciesMeta[<name or name@version>].built` (root package.json): `false` is a
 * denial, `true` an approval. With `enableScripts: false` (.yarnrc.yml) these are Yarn's whole
 * allow-list; otherwise Yarn also ran every unlisted package's scripts, which allowScripts cannot
 * say: those packages stay unreviewed, and the result says so.
 */
export const importYarn = (packageJson: SourceDocument, yarnrc: SourceDocument | undefined): ImportFindings => {
  const decisions: ImportedDecision[] = []
  const unmapped: UnmappedDecision[] = []
  for (const [spec, meta] of readMap(packageJson, ['dependenciesMeta']) ?? []) {
    const path = ['dependenciesMeta', { key: spec }]
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail(packageJson, path, 'a map of settings (built, optional, unplugged)', meta)
    const built = readBoolean(packageJson, [...path, 'built'])
    if (built === undefined) continue
    const parsed = parseToolSpec(spec)
    const from = describeSource(packageJson, [...path, 'built'])
    if ('reason' in parsed) unmapped.push({ tool: 'yarn', from, reason: parsed.reason })
    else decisions.push({ tool: 'yarn', from, name: parsed.name, versions: parsed.versions, allow: built })
  }
  const enableScripts = yarnrc === undefined ? undefined : readBoolean(yarnrc, ['enableScripts'])
  if (decisions.length > 0 && enableScripts !== false) {
    unmapped.push({ tool: 'yarn', from: yarnrc === undefined ? 'enableScripts (default true)' : describeSource(yarnrc, ['enableScripts']),
      reason: 'Yarn also ran the scripts of every package not listed in dependenciesMeta; allowScripts approves only what it names, so those stay unreviewed' })
  }
  return { decisions, unmapped, found: decisions.length > 0 || unmapped.length > 0 }
}

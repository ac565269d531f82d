import type { PathSegment } from '../package-json-text.js'
import { describeSource, fail, parseToolSpec, readBoolean, readList, readMap, valueAt } from './fields.js'
import type { ImportedDecision, ImportFindings, SourceDocument, UnmappedDecision } from './types.js'

export interface PnpmSources {
  /** package.json (its `pnpm` field). */
  readonly packageJson: SourceDocument
  /** pnpm-workspace.yaml, where pnpm 10 and `pnpm approve-builds` keep these settings. */
  readonly workspace?: SourceDocument
  /** Reads `onlyBuiltDependenciesFile` (relative to the project), undefined when it is missing. */
  readonly readListFile: (relative: string) => SourceDocument | undefined
}

const FIELDS = ['allowBuilds', 'onlyBuiltDependencies', 'onlyBuiltDependenciesFile', 'ignoredBuiltDependencies', 'neverBuiltDependencies', 'dangerouslyAllowAllBuilds']

/**
 * pnpm's build decisions, from pnpm-workspace.yaml and package.json's `pnpm` field:
 * `allowBuilds` (spec -> true/false), `onlyBuiltDependencies` (+ its file) approve,
 * `ignoredBuiltDependencies` deny (pnpm neither builds nor warns about them). `neverBuiltDependencies`
 * is a deny-list: its names are denied, but what pnpm built by default has no allowScripts
 * equivalent; pnpm ignores it when `onlyBuiltDependencies` is set. Name patterns and
 * `dangerouslyAllowAllBuilds` cannot be expressed and are reported.
 */
export const importPnpm = (sources: PnpmSources): ImportFindings => {
  const decisions: ImportedDecision[] = []
  const unmapped: UnmappedDecision[] = []
  let found = false
  const documents: Array<[SourceDocument, PathSegment[]]> = [[sources.packageJson, ['pnpm']]]
  if (sources.workspace !== undefined) documents.unshift([sources.workspace, []])
  for (const [doc, base] of documents) {
    if (base.length > 0) readMap(doc, base, 'a map of pnpm settings')
    if (FIELDS.some((field) => valueAt(doc.value, [...base, field]) !== undefined)) found = true
    const add = (spec: string, path: PathSegment[], allow: boolean, from = doc): void => {
      const parsed = parseToolSpec(spec)
      if ('reason' in parsed) unmapped.push({ tool: 'pnpm', from: `${describeSource(from, path)} ${JSON.stringify(spec)}`, reason: parsed.reason })
      else decisions.push({ tool: 'pnpm', from: describeSource(from, path), name: parsed.name, versions: parsed.versions, allow })
    }
    for (const [spec] of readMap(doc, [...base, 'allowBuilds']) ?? []) {
      const path = [...base, 'allowBuilds', { key: spec }]
      const allow = readBoolean(doc, path)
      if (allow !== undefined) add(spec, path, allow)
    }
    const only = readList(doc, [...base, 'onlyBuiltDependencies'])
    for (const item of only ?? []) add(item.value, item.path, true)
    const onlyFile = valueAt(doc.value, [...base, 'onlyBuiltDependenciesFile'])
    if (onlyFile !== undefined && typeof onlyFile !== 'string') fail(doc, [...base, 'onlyBuiltDependenciesFile'], 'a file name', onlyFile)
    if (typeof onlyFile === 'string') {
      const listDoc = sources.readListFile(onlyFile)
      if (listDoc === undefined) unmapped.push({ tool: 'pnpm', from: describeSource(doc, [...base, 'onlyBuiltDependenciesFile']), reason: `${onlyFile} cannot be read` })
      for (const item of listDoc === undefined ? [] : readList(listDoc, []) ?? []) add(item.value, item.path, true, listDoc)
    }
    for (const item of readList(doc, [...base, 'ignoredBuiltDependencies']) ?? []) add(item.value, item.path, false)
    const never = readList(doc, [...base, 'neverBuiltDependencies'])
    if (never !== undefined && (only !== undefined || typeof onlyFile === 'string')) {
      unmapped.push({ tool: 'pnpm', from: describeSource(doc, [...base, 'neverBuiltDependencies']), reason: 'pnpm ignores it when onlyBuiltDependencies is set' })
    } else if (never !== undefined) {
      for (const item of never) add(item.value, item.path, false)
      unmapped.push({ tool: 'pnpm', from: describeSource(doc, [...base, 'neverBuiltDependencies']),
        reason: 'a deny-list: pnpm built every other package, but allowScripts approves only what it names; the others stay unreviewed' })
    }
    if (readBoolean(doc, [...base, 'dangerouslyAllowAllBuilds']) === true) {
      unmapped.push({ tool: 'pnpm', from: describeSource(doc, [...base, 'dangerouslyAllowAllBuilds']),
        reason: 'approves every package: allowScripts has no wildcard; review them and run `safe-install policy approve --all`' })
    }
  }
  return { decisions, unmapped, found }
}

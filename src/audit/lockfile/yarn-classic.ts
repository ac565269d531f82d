import { failAt, indexLines, type ReadContext } from './lockfile-error.js'
import type { LockEntry, Lockfile, LockSource } from './model.js'
import { assignDefined, own } from './record.js'
import { aliasTarget, classifySpec, describeSpec, sha1FromFragment, splitNameAndSpec } from './spec.js'
import { rejectRepeatedDescriptors, yarnFields } from './yarn-entry.js'
import { locateYarnClassic } from './yarn-classic-locate.js'
import { parseYarnLock } from './yarn-syml.js'

/**
 * yarn.lock written by yarn 1. It records no workspaces (yarn 1 links them without an entry), no
 * install scripts and no dev/optional flags. `integrity` is the field when present, else the sha1
 * of the `resolved` URL's fragment (`#<hex>`, what yarn 1 verified before it wrote `integrity`).
 */
export const readYarnClassic = (file: string, text: string): Lockfile => {
  const context: ReadContext = { file, format: 'yarn-classic', lines: indexLines(text) }
  const parsed = parseYarnLock(context, text, true)
  const blocks = locateYarnClassic(context, text)
  rejectRepeatedDescriptors(context, blocks)
  let located = 0
  const entries = blocks.map((block): LockEntry => {
    located += block.descriptors.length
    const first = block.descriptors[0] ?? ''
    const value = own(parsed, first)
    if (value === undefined || block.descriptors.some((descriptor) => own(parsed, descriptor) !== value)) {
      throw failAt(context, { line: block.line, column: 1 }, 'this entry is not laid out the way yarn 1 writes entries')
    }
    const fields = yarnFields(context, block, value)
    const { name, spec } = splitNameAndSpec(first)
    const alias = spec === undefined ? undefined : aliasTarget(spec)
    const resolved = fields.string('resolved')
    const described = resolved === undefined ? undefined : describeSpec(resolved)
    const source = described?.source ?? rangeSource(spec)
    const tarball = described?.tarball
    const fragment = resolved !== undefined && (source === 'registry' || source === 'remote-tarball') ? sha1FromFragment(resolved) : undefined
    return assignDefined<LockEntry>({ name, version: fields.string('version'), key: block.key, line: block.line, column: 1, source }, {
      realName: alias === undefined || alias.name === name ? undefined : alias.name,
      resolved,
      integrity: fields.string('integrity') ?? fragment,
      resolvedName: tarball?.name,
      resolvedVersion: tarball?.version,
    })
  })
  if (located !== Object.keys(parsed).length) {
    throw failAt(context, { line: 1, column: 1 }, 'some entries are not laid out the way yarn 1 writes them (a key not at the start of its line?)')
  }
  return { format: 'yarn-classic', formatVersion: '1', file, entries, workspaces: [] }
}

/**
 * The source a yarn 1 range implies when the entry has no `resolved`: its protocol, a GitHub
 * `owner/repo` shorthand, or otherwise a registry range or tag.
 */
const rangeSource = (spec: string | undefined): LockSource => {
  if (spec === undefined) return 'unknown'
  const source = classifySpec(spec)
  if (source !== 'unknown') return source
  if (/^[^@/:.#][^/:@#]*\/[^/:@#]+(?:#.*)?$/.test(spec)) return 'git'
  return 'registry'
}

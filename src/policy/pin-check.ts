import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import semver from 'semver'
import type { Finding, PackageRecord } from '../types.js'
import { describeChange, fileDiff, pinOf, scriptContent, type ScriptContent } from './pin.js'
import { pinsFor, type PinnedContent, type PinRecord, type Policy } from './policy.js'

/**
 * The pins of safe-install.policy.json checked against what is about to run (issue: approvals
 * people can trust without fatigue):
 * - the content matches the pin recorded for this version, or for the bare name: nothing to say;
 * - it matches the pin of another version: the approval carries over (a routine upgrade whose
 *   install code did not change needs no new review), and the report says so;
 * - the package has pins and none matches: its install code changed since it was approved. It is
 *   treated as unreviewed, whatever allowScripts says, and reported as `script-changed` with what
 *   changed (commands, files, and a line diff when the approved tarball is still in npm's cache).
 * A package without any pin is left to allowScripts alone.
 */

export type PinVerdict =
  | { readonly kind: 'unpinned' }
  | { readonly kind: 'match'; readonly key: string }
  | { readonly kind: 'carried'; readonly key: string; readonly pin: string }
  | { readonly kind: 'changed'; readonly key: string; readonly lines: readonly string[]; readonly diff: string }

/** The pin a change is shown against: this version's, else the newest version below it, else any. */
const baseline = (pins: readonly PinRecord[], version: string): PinRecord => {
  const exact = pins.find((p) => p.version === version)
  if (exact !== undefined) return exact
  const versioned = pins.filter((p) => p.version !== undefined && semver.valid(p.version) !== null)
  const below = versioned.filter((p) => semver.valid(version) !== null && semver.lt(p.version ?? '', version))
    .sort((a, b) => semver.rcompare(a.version ?? '', b.version ?? ''))
  return below[0] ?? versioned.sort((a, b) => semver.rcompare(a.version ?? '', b.version ?? ''))[0] ?? pins[0] as PinRecord
}

export interface PinCheckOptions {
  /** Reads the approved tarball's files back by integrity (npm's cache), for the line diff. */
  readonly readApproved?: (integrity: string) => Promise<ReadonlyMap<string, { readonly data: Buffer | undefined }> | undefined>
}

export const checkPins = async (policy: Policy, pkg: Pick<PackageRecord, 'name' | 'version'>, dir: string, options: PinCheckOptions = {}): Promise<PinVerdict> => {
  const pins = pinsFor(policy, pkg.name)
  if (pins.length === 0) return { kind: 'unpinned' }
  const content = await scriptContent(dir)
  const pin = pinOf(content)
  const same = pins.filter((p) => p.pin === pin)
  if (same.length > 0) {
    const own = same.find((p) => p.version === pkg.version || p.version === undefined)
    return own !== undefined ? { kind: 'match', key: own.key } : { kind: 'carried', key: baseline(same, pkg.version).key, pin }
  }
  const base = baseline(pins, pkg.version)
  if (base.pinned === undefined) {
    return { kind: 'changed', key: base.key, lines: ['its install-time content differs from the pin (the policy keeps no record of the approved content to compare with)'], diff: '' }
  }
  const change = describeChange(base.pinned, content)
  return { kind: 'changed', key: base.key, lines: change.lines, diff: await diffs(change.changedFiles, dir, base.pinned, options) }
}

/** Line diffs of up to three changed files: old text from the approved tarball when npm's cache has it. */
const diffs = async (paths: readonly string[], dir: string, approved: PinnedContent, options: PinCheckOptions): Promise<string> => {
  const old = approved.integrity === undefined || options.readApproved === undefined ? undefined : await options.readApproved(approved.integrity).catch(() => undefined)
  if (old === undefined) return ''
  const parts: string[] = []
  for (const path of paths.slice(0, 3)) {
    const now = await readFile(join(dir, path), 'utf8').catch(() => undefined)
    if (now === undefined || now.length > 512 * 1024) continue
    parts.push(await fileDiff(path, old.get(path)?.data?.toString('utf8'), now))
  }
  return parts.join('\n')
}

/** The pin a package would be approved with, and what it covers. */
export const pinContent = async (dir: string, integrity?: string): Promise<{ pin: string; pinned: PinnedContent }> => {
  const content: ScriptContent = await scriptContent(dir)
  return { pin: pinOf(content), pinned: { scripts: content.scripts, files: content.files, ...(integrity === undefined ? {} : { integrity }) } }
}

const label = (pkg: PackageRecord): string => `${pkg.name}${pkg.version === '' ? '' : `@${pkg.version}`}`

/** The report's finding for a verdict worth saying, on the package and hook. */
export const pinFinding = (verdict: PinVerdict, pkg: PackageRecord, event: string): Finding | undefined => {
  const where = { name: pkg.name, version: pkg.version, location: pkg.location }
  switch (verdict.kind) {
    case 'carried':
      return {
        rule: 'approval-carried', severity: 'note', action: 'reported', package: where, event,
        message: `${label(pkg)}: its install code is identical to the approved ${verdict.key} (same pin), so the approval carries over; nothing new to review.`,
        evidence: { pinnedBy: verdict.key, pin: verdict.pin },
      }
    case 'changed':
      return {
        rule: 'script-changed', severity: 'error', action: 'blocked', package: where, event,
        message: `${label(pkg)}: its install code differs from what was approved as ${verdict.key}, so it was not run: ${verdict.lines.slice(0, 3).join('; ')}${verdict.lines.length > 3 ? `; and ${verdict.lines.length - 3} more` : ''}. Read the change, then approve again with safe-install policy approve ${pkg.name}.`,
        evidence: { pinnedBy: verdict.key, changes: [...verdict.lines], ...(verdict.diff === '' ? {} : { diff: verdict.diff }), fix: `safe-install policy approve ${pkg.name}` },
      }
    case 'match':
    case 'unpinned':
      return undefined
  }
}

import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { applyEdits, modify, parseTree, type ParseError } from 'jsonc-parser'
import { SafeInstallError } from '../errors.js'
import type { InstalledPackage } from '../types.js'
import type { AllowEntries } from './allow-scripts-edit.js'
import { pinContent } from './pin-check.js'
import { writePackageJson } from './write-package-json.js'

/**
 * Content pins written at approval (`policy approve`): for every installed registry version an
 * approval covers, the digest of its install code and what it covers go to
 * safe-install.policy.json under `packages["name@version"]` (other fields of the entry kept). A
 * later install then carries the approval to versions with the same install code and stops a
 * version whose code changed (src/policy/pin-check.ts). The file is created when missing, edited
 * in place otherwise (formatting and key order kept), and written atomically.
 */

export interface RecordedPin {
  readonly key: string
  readonly pin: string
  /** Whether the policy already held this exact pin. */
  readonly unchanged: boolean
  /** Why no pin was recorded (the package is not installed, so its install code cannot be read). */
  readonly skipped?: string
}

export interface PinPlan {
  readonly file: string
  readonly pins: readonly RecordedPin[]
  readonly before: string | undefined
  readonly after: string
}

const keyOf = (pkg: InstalledPackage): string | undefined =>
  pkg.displayName === null || pkg.displayVersion === null || pkg.versionedKey === null ? undefined : `${pkg.displayName}@${pkg.displayVersion}`

/** The name part of an approve argument (`esbuild`, `@s/x@1.2.3` → `@s/x`). */
const nameOf = (spec: string): string => {
  const at = spec.indexOf('@', 1)
  return at < 0 ? spec : spec.slice(0, at)
}

/**
 * The installed versions the approval covers once written: those with install scripts that an
 * allowScripts entry approves (by pinned key or by name), and that were asked for (`--all`: all).
 * Re-approving a version that is already approved refreshes its pin: that is how a changed script
 * is accepted.
 */
const covered = (entries: AllowEntries, packages: readonly InstalledPackage[], request: { readonly specs: readonly string[]; readonly all: boolean }): InstalledPackage[] => {
  const approved = new Set(entries.filter(([, value]) => value).map(([key]) => key))
  const asked = new Set(request.specs.map(nameOf))
  return packages.filter((pkg) => pkg.hasScripts && !pkg.linkOrInert
    && ((pkg.versionedKey !== null && approved.has(pkg.versionedKey)) || (pkg.nameKey !== null && approved.has(pkg.nameKey)))
    && (request.all || (pkg.displayName !== null && asked.has(pkg.displayName)) || (pkg.nameKey !== null && asked.has(pkg.nameKey))))
}

export const planPins = async (
  prefix: string, entries: AllowEntries, packages: readonly InstalledPackage[], request: { readonly specs: readonly string[]; readonly all: boolean },
  file = join(prefix, 'safe-install.policy.json'),
): Promise<PinPlan> => {
  const before = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new SafeInstallError('EPOLICY', `${file}: cannot read policy file (${error.code ?? 'error'})`, 'check its permissions')
  })
  let text = before ?? '{\n  "extends": "default",\n  "packages": {}\n}\n'
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true })
  if (errors.length > 0 || tree?.type !== 'object') {
    throw new SafeInstallError('EPOLICY', `${file}: not a valid policy file (not a JSON object)`, 'fix the JSON syntax, then approve again')
  }
  const existing = (JSON.parse(text) as { packages?: Record<string, { pin?: string }> }).packages ?? {}
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  '
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const pins: RecordedPin[] = []
  const seen = new Set<string>()
  for (const pkg of covered(entries, packages, request)) {
    const key = keyOf(pkg)
    if (key === undefined || seen.has(key)) continue
    seen.add(key)
    if (!existsSync(join(prefix, pkg.location, 'package.json'))) {
      pins.push({ key, pin: '', unchanged: false, skipped: 'not installed, so its install code cannot be read; install, then approve again to pin it' })
      continue
    }
    const { pin, pinned } = await pinContent(join(prefix, pkg.location), pkg.integrity ?? undefined)
    const unchanged = existing[key]?.pin === pin
    pins.push({ key, pin, unchanged })
    if (unchanged) continue
    const formattingOptions = { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol }
    text = applyEdits(text, modify(text, ['packages', key, 'pin'], pin, { formattingOptions }))
    text = applyEdits(text, modify(text, ['packages', key, 'pinned'], pinned, { formattingOptions }))
  }
  return { file, pins, before, after: text }
}

/** Writes the planned pins atomically: an existing file is replaced only if unchanged since it was read, a new one never overwrites. */
export const writePins = async (plan: PinPlan): Promise<void> => {
  if (plan.after === plan.before) return
  if (plan.before !== undefined) {
    await writePackageJson(plan.file, plan.after, plan.before)
    return
  }
  const temp = join(dirname(plan.file), `.${basename(plan.file)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temp, plan.after, { mode: 0o644, flag: 'wx' })
    await link(temp, plan.file)
  } catch (error) {
    throw new SafeInstallError('EUSAGE', `cannot write ${plan.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it was created meanwhile; run the command again' : 'check that the directory is writable')
  } finally {
    await rm(temp, { force: true })
  }
}

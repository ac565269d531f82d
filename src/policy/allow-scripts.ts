import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SafeInstallError } from '../errors.js'
import { entriesOf } from './allow-scripts-edit.js'
import { locateInPackageJson, type PackageJsonText } from './package-json-text.js'

/** npm's allowScripts policy: `spec -> true|false`; `entries: null` when nothing is configured. */
export interface AllowScripts {
  readonly entries: Readonly<Record<string, boolean>> | null
  readonly source: 'package.json' | '.npmrc' | 'none'
  /** Entries npm would ignore (ranges, dist-tags), with the reason, for the report. */
  readonly ignored: ReadonlyArray<{ readonly key: string; readonly reason: string }>
}

const EXACT_DISJUNCTION = /^\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?(?:\s*\|\|\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)*\s*$/

/**
 * Validate entries the way npm does: name-only, exact versions joined by `||`, git/file/remote
 * specs pass; semver ranges and dist-tags are dropped (they would allow versions nobody reviewed).
 * A non-boolean value is a configuration error.
 */
export const validateAllowScripts = (
  raw: unknown,
  file: string,
): { entries: Record<string, boolean>; ignored: Array<{ key: string; reason: string }> } => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafeInstallError('ECONFIG', `${file}: "allowScripts" must be an object of package spec -> true/false`,
      'write it as { "esbuild": true, "evil-pkg": false } (safe-install policy approve <pkg> writes it for you)')
  }
  const entries: Record<string, boolean> = {}
  const ignored: Array<{ key: string; reason: string }> = []
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'boolean') {
      throw new SafeInstallError('ECONFIG', `${file}: allowScripts["${key}"] must be true or false, not ${JSON.stringify(value)}`,
        `set "allowScripts": { "${key}": true } to approve or false to deny`)
    }
    const versionPart = versionOf(key)
    if (versionPart !== null && versionPart !== '' && versionPart !== '*' && !isNonRegistrySpec(key)) {
      if (!EXACT_DISJUNCTION.test(versionPart)) {
        ignored.push({ key, reason: /^[a-z]/i.test(versionPart)
          ? 'dist-tags are not allowed; use exact versions joined by "||" or the bare name'
          : 'semver ranges are not allowed; use exact versions joined by "||" or the bare name' })
        continue
      }
    }
    entries[key] = value
  }
  return { entries, ignored }
}

const isNonRegistrySpec = (key: string): boolean =>
  /^(git\+|git:|github:|gitlab:|bitbucket:|file:|https?:|\.|\/)/.test(key) || /^[^@/]+\/[^@/]+$/.test(key)

const versionOf = (key: string): string | null => {
  const at = key.indexOf('@', key.startsWith('@') ? 1 : 0)
  return at < 0 ? null : key.slice(at + 1)
}

/** Read allowScripts as npm resolves it: root package.json first (a BOM is stripped, as npm does), else the `allow-scripts` npm config list. */
export const readAllowScripts = async (prefix: string, npmrcList: readonly string[]): Promise<AllowScripts> => {
  const file = join(prefix, 'package.json')
  let pkg: Record<string, unknown>
  try {
    pkg = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as Record<string, unknown>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return fromNpmrc(npmrcList)
    }
    throw new SafeInstallError('ECONFIG', `${file}: not valid JSON (${(error as Error).message})`, 'fix the syntax error in package.json')
  }
  if (pkg['allowScripts'] !== undefined) {
    const { entries, ignored } = validateAllowScripts(pkg['allowScripts'], file)
    return { entries: Object.keys(entries).length > 0 ? entries : null, source: 'package.json', ignored }
  }
  return fromNpmrc(npmrcList)
}

const fromNpmrc = (names: readonly string[]): AllowScripts => {
  const clean = names.map((n) => n.trim()).filter((n) => n !== '')
  if (clean.length === 0) return { entries: null, source: 'none', ignored: [] }
  return { entries: Object.fromEntries(clean.map((n) => [n, true])), source: '.npmrc', ignored: [] }
}

/**
 * The allowScripts entries of a parsed package.json in file order, every value checked to be a
 * boolean (npm's rule), failing at `file:line:col` with the JSON path of the bad entry.
 */
export const readAllowEntries = (doc: PackageJsonText): Array<[string, boolean]> => {
  const raw = entriesOf(doc)
  if (raw === null) return []
  const value = doc.value['allowScripts']
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    validateAllowScripts(value, locateInPackageJson(doc, ['allowScripts']))
  }
  return raw.map(([key, entry]) => {
    if (typeof entry !== 'boolean') validateAllowScripts({ [key]: entry }, locateInPackageJson(doc, ['allowScripts', { key }]))
    return [key, entry as boolean]
  })
}

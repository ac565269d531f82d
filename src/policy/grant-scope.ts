/**
 * What a `write` grant may cover (pure), shared by `policy learn` (which proposes grants) and the
 * install itself (which refuses a policy whose grants open too much). A `~/...` grant is the
 * user's real home directory, so the same catalogue that makes the tracer report credential reads,
 * persistence and tampering (policies/trace/sensitive-paths.json) decides what no grant may reach.
 */
import { posix } from 'node:path'
import type { PathRules } from '../trace/path-rules.js'

/** Any user's home, by its usual place (`/home/<user>`, `/Users/<user>`, `/root`, `/var/root`). */
export const HOME_ROOT = /^(?:\/home\/[^/]+|\/Users\/[^/]+|\/root|\/var\/root)(?=\/|$)/
const KERNEL = /^\/(?:proc|sys|dev)(?:\/|$)/

/**
 * Directories of a home that many tools share: a grant of one lets a package rewrite every other
 * tool's cache or settings (npm's own cache among them). The tool's own directory inside is the grant.
 */
const SHARED_HOME_DIRS = new Set([
  '~/.cache', '~/.config', '~/.local', '~/.local/share', '~/.local/state',
  '~/Library', '~/Library/Caches', '~/Library/Application Support', '~/Library/Preferences',
])

/**
 * Tools' state no grant may reach into: what a package put there would act on later installs and
 * builds, outside any sandbox.
 */
const TOOL_STATE: ReadonlyArray<readonly [string, string]> = [
  ['~/.npm', "npm's cache: cached metadata and tarballs feed every later install"],
  ['~/.node-gyp', "node-gyp's headers, compiled into every later native addon"],
  ['~/.cache/node-gyp', "node-gyp's headers, compiled into every later native addon"],
  ['~/.cache/safe-install', "safe-install's own data (the malicious-package index)"],
]

export const under = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`)

const segmentRegExp = (segment: string): RegExp =>
  new RegExp(`^${segment.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`, 'u')

/**
 * Whether a grant of `dir` would cover what `pattern` protects: the pattern's targets lie under
 * `dir` (`~/.config` covers `~/.config/systemd/**`), or `dir` is inside a `.../**` target.
 * A pattern that may match anywhere (a `**` segment before its end, as in `/**` + `/.git/hooks/**`)
 * counts only when the end of `dir` already enters it (`/x/.git`, `/x/.git/hooks`): a file name such
 * as `.npmrc` could be written under any directory, and the tracer still reports persistence there.
 */
export const grantReaches = (pattern: string, dir: string): boolean => {
  const segments = pattern.split('/')
  const parts = dir.split('/')
  const last = segments.length - 1
  for (let i = 0; i < parts.length; i += 1) {
    const segment = segments[i]
    if (segment === undefined) return false
    if (segment === '**') return i === last || anywhere(segments.slice(i), parts.slice(i))
    if (!segmentRegExp(segment).test(parts[i] ?? '')) return false
  }
  return true
}

/** `**` followed by more segments: does some non-empty end of `dir` enter what follows it? */
const anywhere = (segments: readonly string[], parts: readonly string[]): boolean => {
  const rest = segments.slice(1)
  for (let start = 0; start < parts.length; start += 1) {
    if (grantReaches(['', ...rest].join('/'), ['', ...parts.slice(start)].join('/'))) return true
  }
  return false
}

/** A `**` before the last segment: the pattern names a file or directory that may be anywhere. */
const floating = (pattern: string): boolean => pattern.split('/').slice(0, -1).includes('**')

/**
 * The catalogue entry a grant of the directory would open, if any. Entries that may match anywhere
 * count only when writing there matters (persistence, tamper, credentials changed by a write), not
 * files that are only read (`/**` + `/lib/node_modules/npm/npmrc` must not refuse every `lib`).
 */
const sensitiveTarget = (forms: readonly string[], rules: PathRules): string | undefined => {
  for (const { entry } of rules.entries) {
    const readOnly = entry.kind === 'credential' && entry.access === 'read'
    const pattern = entry.patterns.find((p) => !(readOnly && floating(p)) && forms.some((form) => grantReaches(p, form)))
    if (pattern !== undefined) return `${entry.description} (${pattern})`
  }
  return undefined
}

/** A directory a grant would open, in the forms the catalogue is written in. */
export interface GrantDir {
  /** The absolute path, when known (a `~` grant before the real home is known has none). */
  readonly absolute: string | null
  /** `~` or `~/...` when the directory is in a home. */
  readonly tilde: string | null
}

/**
 * Why a grant of this directory would open more than a cache, or undefined when it would not:
 * the home itself or a path leaving it, a directory many tools share (`~/.cache`), `/` and
 * top-level directories, kernel interfaces, the project or an ancestor of it, node_modules itself,
 * and any directory holding a credential, persistence or tamper target of the catalogue.
 */
export const grantDirRefusal = (dir: GrantDir, projectDir: string, rules: PathRules): string | undefined => {
  const { absolute, tilde } = dir
  const shown = tilde ?? absolute ?? ''
  if (tilde === '~') return 'it would make the whole home directory writable'
  if (tilde !== null && (tilde.startsWith('~/../') || tilde === '~/..')) return `${tilde} leaves the home directory`
  if (tilde !== null && SHARED_HOME_DIRS.has(tilde)) {
    return `${tilde} is shared by many tools: grant the package's own directory inside it (such as ${tilde}/<name>)`
  }
  const state = tilde === null ? undefined : TOOL_STATE.find(([dir]) => under(tilde, dir))
  if (state !== undefined) return `${tilde} is ${state[0] === tilde ? '' : `inside ${state[0]}, `}${state[1]}`
  if (absolute !== null) {
    if (absolute.split('/').length < 3) return `${absolute} is a top-level directory: far wider than a cache`
    if (KERNEL.test(absolute)) return `${absolute} is a kernel interface, not a directory to grant`
    if (under(projectDir, absolute)) return `${absolute} would make the project writable, with its manifests and lockfile`
    if (posix.basename(absolute) === 'node_modules') return `${absolute} holds every installed package`
  }
  const forms = [
    ...(tilde === null ? [] : [tilde]),
    ...(absolute === null ? [] : [absolute]),
    ...(absolute !== null && under(absolute, projectDir) ? [`<project>${absolute.slice(projectDir.length)}`] : []),
  ]
  const target = sensitiveTarget(forms, rules)
  return target === undefined ? undefined : `a grant of ${shown} would cover ${target}`
}

/** `~`, `~/x` → `~/x` normalised (`~/a/..` → `~`, `~/../x` stays outside); undefined for anything else. */
export const normalizeTilde = (grant: string): string | undefined => {
  if (grant !== '~' && !grant.startsWith('~/')) return undefined
  const rest = posix.normalize(grant.slice(1).replace(/^\/*/, '')).replace(/\/+$/, '')
  return rest === '.' || rest === '' ? '~' : `~/${rest}`
}

/** The `~` form of an absolute path inside `home` (or inside any user's usual home when `home` is unknown). */
export const tildeOf = (absolute: string, home: string | undefined): string | null => {
  const base = home !== undefined && home !== '/' && under(absolute, home) ? home : HOME_ROOT.exec(absolute)?.[0]
  return base === undefined ? null : `~${absolute.slice(base.length)}`
}

/**
 * Why the install refuses one `write` grant of the policy (pure), or undefined when it is fine.
 * A grant is `~/...` (the user's real home; see src/sandbox/home-grants.ts) or an absolute path;
 * anything else (a relative path, `~user`) has no single meaning and is refused.
 */
export const writeGrantRefusal = (grant: string, context: {
  readonly projectDir: string
  readonly realHome: string | undefined
  readonly rules: PathRules
}): string | undefined => {
  const tilde = normalizeTilde(grant)
  if (tilde === undefined && !posix.isAbsolute(grant)) return 'a write grant is an absolute path or starts with ~/'
  if (tilde !== undefined) {
    const home = context.realHome === undefined || context.realHome === '/' ? undefined : posix.normalize(context.realHome)
    const absolute = home === undefined || tilde === '~/..' || tilde.startsWith('~/../') ? null : posix.join(home, tilde.slice(1))
    return grantDirRefusal({ tilde, absolute }, context.projectDir, context.rules)
  }
  const absolute = posix.normalize(grant).replace(/(.)\/+$/, '$1')
  return grantDirRefusal({ absolute, tilde: tildeOf(absolute, context.realHome) }, context.projectDir, context.rules)
}

/**
 * The `write` grant `policy learn` may propose for one path a hook wrote outside its package
 * (pure). The grant is the narrowest directory that covers the write, the path's parent, as the
 * policy writes it: `~/...` for the sandbox's decoy home, else absolute. A directory that would open
 * more than a cache is refused with the reason: `/` and top-level directories, `~` itself, a real
 * home, kernel interfaces, the project (its manifests and lockfile) or an ancestor of it,
 * node_modules itself, and any directory holding a credential, persistence or tamper target of
 * policies/trace/sensitive-paths.json.
 */
import { posix } from 'node:path'
import type { PathRules } from '../trace/path-rules.js'

export type WriteProposal =
  | { readonly kind: 'grant'; readonly grant: string }
  | { readonly kind: 'refuse'; readonly reason: string }

/** A decoy home of a run (src/sandbox/session.ts): `<tmp>/safe-install-sbx-XXXXXX/home`. */
const DECOY_HOME = /^(?:\/[^/]+)*?\/safe-install-sbx-[A-Za-z0-9]+\/home(?=\/|$)/
/** Any user's real home (the hook's $HOME is the decoy: a write here used an absolute path). */
const REAL_HOME = /^(?:\/home\/[^/]+|\/Users\/[^/]+|\/root|\/var\/root)(?=\/|$)/
const KERNEL = /^\/(?:proc|sys|dev)(?:\/|$)/

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`)

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

/** The forms a directory is matched in: absolute, `~/...` (decoy home), `<project>/...`. */
const formsOf = (absolute: string, tilde: string | null, projectDir: string): string[] => [
  ...(tilde === null ? [absolute] : [tilde]),
  ...(under(absolute, projectDir) ? [`<project>${absolute.slice(projectDir.length)}`] : []),
]

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

/**
 * Propose the write grant for one written path (absolute, as a write-outside-package finding's
 * evidence shows it). `projectDir` is where the policy file lives.
 */
export const proposeWrite = (written: string, projectDir: string, rules: PathRules): WriteProposal => {
  if (!posix.isAbsolute(written)) return { kind: 'refuse', reason: 'the path is not absolute' }
  const path = posix.normalize(written)
  const dir = posix.dirname(path)
  const decoy = DECOY_HOME.exec(dir)?.[0]
  const tilde = decoy === undefined ? null : `~${dir.slice(decoy.length)}`
  const refuse = (reason: string): WriteProposal => ({ kind: 'refuse', reason })
  if (tilde === '~') return refuse('it would make the whole home directory writable')
  if (tilde === null) {
    if (dir.split('/').length < 3) return refuse(`${dir} is a top-level directory: far wider than the file written`)
    if (KERNEL.test(dir)) return refuse(`${dir} is a kernel interface, not a directory to grant`)
    if (under(projectDir, dir)) return refuse(`${dir} would make the project writable, with its manifests and lockfile`)
    if (REAL_HOME.test(dir) && !under(dir, projectDir)) {
      return refuse(`${dir} is in a real home directory; scripts get a decoy $HOME, so a write here used an absolute path and needs review`)
    }
    if (posix.basename(dir) === 'node_modules') return refuse(`${dir} holds every installed package`)
  }
  const target = sensitiveTarget(formsOf(dir, tilde, projectDir), rules)
  if (target !== undefined) return refuse(`a grant of ${tilde ?? dir} would cover ${target}`)
  return { kind: 'grant', grant: tilde ?? dir }
}

/** Whether an existing write grant (`~` or absolute) already covers a proposed one. */
export const writeCovered = (proposed: string, existing: readonly string[]): boolean =>
  existing.some((grant) => under(proposed, posix.normalize(grant).replace(/\/$/, '') || '/'))

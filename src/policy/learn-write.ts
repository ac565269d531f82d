/**
 * The `write` grant `policy learn` may propose for one path a hook wrote outside its package
 * (pure). The grant is the narrowest directory that covers the write, the path's parent, as the
 * policy writes it: `~/...` for the sandbox's decoy home (which the install maps to the user's real
 * home), else absolute. A directory that would open more than a cache is refused with the reason
 * (src/policy/grant-scope.ts: the home itself, directories many tools share, `/` and top-level
 * directories, kernel interfaces, the project or an ancestor of it, node_modules itself, any
 * directory holding a credential, persistence or tamper target of
 * policies/trace/sensitive-paths.json), and so is a real home written by absolute path.
 */
import { posix } from 'node:path'
import type { PathRules } from '../trace/path-rules.js'
import { grantDirRefusal, HOME_ROOT, under } from './grant-scope.js'

export { grantReaches } from './grant-scope.js'

export type WriteProposal =
  | { readonly kind: 'grant'; readonly grant: string }
  | { readonly kind: 'refuse'; readonly reason: string }

/** A decoy home of a run (src/sandbox/session.ts): `<tmp>/safe-install-sbx-XXXXXX/home`, or a hook's own `.../homes/<n>-<label>`. */
const DECOY_HOME = /^(?:\/[^/]+)*?\/safe-install-sbx-[A-Za-z0-9]+\/(?:home|homes\/[^/]+)(?=\/|$)/

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
  if (tilde === null && HOME_ROOT.test(dir) && !under(dir, projectDir) && grantDirRefusal({ absolute: dir, tilde: null }, projectDir, rules) === undefined) {
    return { kind: 'refuse', reason: `${dir} is in a real home directory; scripts get a decoy $HOME, so a write here used an absolute path and needs review` }
  }
  const refusal = grantDirRefusal({ absolute: tilde === null ? dir : null, tilde }, projectDir, rules)
  return refusal === undefined ? { kind: 'grant', grant: tilde ?? dir } : { kind: 'refuse', reason: refusal }
}

/** Whether an existing write grant (`~` or absolute) already covers a proposed one. */
export const writeCovered = (proposed: string, existing: readonly string[]): boolean =>
  existing.some((grant) => under(proposed, posix.normalize(grant).replace(/\/$/, '') || '/'))

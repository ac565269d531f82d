import type { LockSource } from './model.js'

/**
 * Pure helpers that read package specs and URLs the way the lockfiles write them. Nothing here
 * trusts a host: a registry-shaped URL on any host is `registry`, and the host is left for a check.
 */

const EXACT_VERSION = /^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

/** `1.2.3`, `1.2.3-rc.1+build`: an exact version as registries publish them (no ranges, no tags, no `v`). */
export const isExactVersion = (text: string): boolean => EXACT_VERSION.test(text)

/** `name@spec` at the first `@` that is not a scope's: `@s/n@^1` gives `@s/n` and `^1`; no `@` gives the name and undefined. */
export const splitNameAndSpec = (text: string): { readonly name: string; readonly spec: string | undefined } => {
  const at = text.indexOf('@', 1)
  return at === -1 ? { name: text, spec: undefined } : { name: text.slice(0, at), spec: text.slice(at + 1) }
}

const GIT_PREFIX = /^(?:git\+[a-z][a-z0-9+.-]*:|git:|github:|gitlab:|bitbucket:|gist:|ssh:\/\/)/i
/** scp-like `git@host:owner/repo.git`. */
const SCP_GIT = /^[a-z0-9._-]+@[a-z0-9.-]+:(?!\/\/)/i
const HTTP = /^https?:\/\//i
const CODELOAD = /^https?:\/\/codeload\.github\.com\//i
const DOT_GIT = /\.git(?:[#?]|$)/i

/** Whether an http(s) URL names a git repository rather than a tarball. */
const isGitUrl = (url: string): boolean =>
  (url.includes('codeload.') && CODELOAD.test(url)) || (url.includes('.git') && DOT_GIT.test(url)) || url.includes('#commit=')

/** What a spec or resolved value implies on its own: its source, and for a registry tarball URL the package it names. */
export interface SpecSource {
  readonly source: LockSource
  readonly tarball?: RegistryTarball
}

const GIT: SpecSource = { source: 'git' }

/**
 * The source a spec or resolved value implies on its own. Plain paths (`../x`, `packages/a`) are
 * `unknown` here: only the format knows whether such a path is a link or a copy.
 */
export const describeSpec = (spec: string): SpecSource => {
  if (HTTP.test(spec)) {
    if (isGitUrl(spec)) return GIT
    const tarball = registryTarball(spec)
    return tarball === undefined ? { source: 'remote-tarball' } : { source: 'registry', tarball }
  }
  if (GIT_PREFIX.test(spec) || SCP_GIT.test(spec)) return GIT
  if (/^file:/i.test(spec)) return { source: 'file' }
  if (/^(?:link|portal):/i.test(spec)) return { source: 'link' }
  if (/^workspace:/i.test(spec)) return { source: 'workspace' }
  if (/^npm:/i.test(spec)) return { source: 'registry' }
  return { source: 'unknown' }
}

export const classifySpec = (spec: string): LockSource => describeSpec(spec).source

/** `…/<name>/-/<file>.tgz` at the end of a URL path (no nested quantifiers: linear on hostile input). */
const TARBALL_PATH = /\/((?:@[^/]+\/)?[^/@][^/]*)\/-\/(?:@[^/]+\/)?([^/]+)\.tgz$/

/**
 * The package a registry tarball URL names: `https://host/prefix/@s/n/-/n-1.2.3.tgz` gives `@s/n`
 * and `1.2.3` (undefined when the file name does not start with `<n>-`). `%40` and `%2f` are decoded.
 */
export interface RegistryTarball {
  readonly name: string
  readonly version: string | undefined
}

export const registryTarball = (url: string): RegistryTarball | undefined => {
  const scheme = url.indexOf('://')
  const pathStart = scheme === -1 ? -1 : url.indexOf('/', scheme + 3)
  if (pathStart === -1) return undefined
  const cut = url.search(/[?#]/)
  let path = cut === -1 ? url.slice(pathStart) : url.slice(pathStart, cut)
  if (path.includes('%')) path = path.replace(/%40/gi, '@').replace(/%2f/gi, '/')
  const match = TARBALL_PATH.exec(path)
  const name = match?.[1]
  const file = match?.[2]
  if (name === undefined || file === undefined) return undefined
  const base = name.slice(name.lastIndexOf('/') + 1)
  return { name, version: file.startsWith(`${base}-`) ? file.slice(base.length + 1) : undefined }
}

/** `…tgz#<40 hex>` (yarn classic) as SRI `sha1-<base64>`; undefined without such a fragment. */
export const sha1FromFragment = (url: string): string | undefined => {
  const hex = /#([0-9a-f]{40})$/i.exec(url)?.[1]
  return hex === undefined ? undefined : `sha1-${Buffer.from(hex, 'hex').toString('base64')}`
}

/** `npm:real@1.2.3` (an alias spec) gives `real` and `1.2.3`; undefined for anything else. */
export const aliasTarget = (spec: string): { readonly name: string; readonly spec: string | undefined } | undefined => {
  if (!/^npm:/i.test(spec)) return undefined
  const rest = spec.slice(4)
  const target = splitNameAndSpec(rest)
  return target.spec === undefined || target.name === '' ? undefined : target
}

/** The last segment of a slash path (`packages/a` gives `a`); a scoped tail keeps its scope (`x/@s/n` gives `@s/n`). */
export const lastPackageName = (path: string): string => {
  const parts = path.split('/').filter((part) => part !== '')
  const last = parts[parts.length - 1] ?? ''
  const before = parts[parts.length - 2]
  return before?.startsWith('@') === true ? `${before}/${last}` : last
}

/** POSIX-normalize a relative path (`a/./b/../c` gives `a/c`), keeping leading `..`; absolute paths stay absolute. */
export const normalizeRelative = (path: string): string => {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop()
    else out.push(part)
  }
  const joined = out.join('/')
  return path.startsWith('/') ? `/${joined}` : joined === '' ? '.' : joined
}

import semver from 'semver'

/**
 * What an allowScripts key names, classified the way npm-package-arg parses it for npm 11's
 * install-scripts commands: a registry name (bare, pinned, `||` versions, or a tag or range npm
 * ignores), a git repository, a path or tarball, a remote tarball URL, or an alias (which npm never
 * matches: the real package has to be named).
 */
export type AllowKey =
  | { readonly kind: 'registry'; readonly name: string; readonly spec: string | null }
  | { readonly kind: 'git'; readonly repository: string }
  | { readonly kind: 'path' }
  | { readonly kind: 'remote' }
  | { readonly kind: 'alias' }

const GIT_PREFIX = /^(?:git\+[a-z]+:|git:|github:|gitlab:|bitbucket:|gist:|git@)/i
const HOSTED_SHORTHAND = /^[^@/:.~\s][^/:\s]*\/[^/:\s]+$/

export const parseAllowKey = (key: string): AllowKey => {
  if (GIT_PREFIX.test(key) || HOSTED_SHORTHAND.test(key.replace(/#.*$/, ''))) {
    return { kind: 'git', repository: key.replace(/#.*$/, '') }
  }
  if (/^https?:\/\//i.test(key)) return { kind: 'remote' }
  if (/^(?:file:|\.{1,2}(?:\/|$)|\/|~\/)/.test(key)) return { kind: 'path' }
  if (key.startsWith('npm:')) return { kind: 'alias' }
  const at = key.indexOf('@', key.startsWith('@') ? 1 : 0)
  if (at < 0) return { kind: 'registry', name: key, spec: null }
  const spec = key.slice(at + 1)
  if (spec.startsWith('npm:')) return { kind: 'alias' }
  return { kind: 'registry', name: key.slice(0, at), spec }
}

/** The registry package a key names, or null for git, path, remote and alias keys. */
export const registryNameOf = (key: string): string | null => {
  const parsed = parseAllowKey(key)
  return parsed.kind === 'registry' ? parsed.name : null
}

/** `name@1.2.3`: exactly one version (npm-package-arg's `version` type). */
export const isSingleVersionPin = (key: string): boolean => {
  const parsed = parseAllowKey(key)
  return parsed.kind === 'registry' && parsed.spec !== null && semver.valid(parsed.spec, { loose: true }) !== null
}

/** `name`, `name@`, `name@*` or a dist-tag: keys that cover every version (npm's own test for its deny warning). */
export const isNameOnlyKey = (key: string): boolean => {
  const parsed = parseAllowKey(key)
  if (parsed.kind !== 'registry') return false
  const spec = parsed.spec?.trim() ?? ''
  return spec === '' || spec === '*' || semver.validRange(spec, { loose: true }) === null
}

/** `1.2.3 || 1.3.0` as exact versions, or null when any part is not one (a range, a tag). */
export const exactVersionsOf = (spec: string): string[] | null => {
  const parts = spec.split('||').map((part) => part.trim())
  const versions = parts.map((part) => semver.valid(part))
  return versions.every((version): version is string => version !== null) ? versions : null
}

/** npm's rule for a package name (validate-npm-package-name, new packages), enough to refuse what cannot be a key. */
export const isPackageName = (name: string): boolean =>
  name.length <= 214 && /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i.test(name)

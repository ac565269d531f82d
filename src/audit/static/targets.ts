import { posix } from 'node:path'
import { hasMarker, PKG } from './symbolic.js'

/**
 * What a command or a file makes npm run next, for the package analysis to follow: files by
 * kind, inline `node -e` code, another package.json script, or the package's binding.gyp.
 * Paths are relative to the package directory (the scripts' working directory), `/`-separated.
 */
export type ScriptTarget =
  | { readonly kind: 'js'; readonly path: string }
  | { readonly kind: 'shell'; readonly path: string }
  | { readonly kind: 'text'; readonly path: string }
  | { readonly kind: 'inline'; readonly code: string }
  | { readonly kind: 'npm-script'; readonly name: string }
  /** binding.gyp in `dir` (`` for the package root; node-gyp --directory). */
  | { readonly kind: 'gyp'; readonly dir: string }

const JS_EXT = /\.(?:[cm]?js|[cm]?ts|jsx|tsx)$/i
const SHELL_EXT = /\.(?:sh|bash|zsh|ps1|bat|cmd)$/i

/** A file target for a path a command runs directly (`./setup.sh`, `bin/install.js`), by its extension. */
export const fileTarget = (path: string): ScriptTarget =>
  JS_EXT.test(path) ? { kind: 'js', path } : SHELL_EXT.test(path) ? { kind: 'shell', path } : { kind: 'text', path }

/**
 * A target path as a path inside the package (pure): `from` is the directory it is relative to
 * (the requiring file's for `require`, the package root for commands). Undefined for paths outside
 * the package, absolute paths and paths only known at run time.
 */
export const packagePath = (path: string, from: string): string | undefined => {
  let rest = path
  let base = from
  if (rest.startsWith(PKG)) {
    rest = rest.slice(1).replace(/^\/+/, '')
    base = ''
  }
  if (rest === '' || hasMarker(rest) || rest.startsWith('/') || /^[a-z]:[\\/]/i.test(rest)) return undefined
  const joined = posix.normalize(posix.join(base, rest.replace(/\\/g, '/')))
  return joined === '.' || joined === '..' || joined.startsWith('../') ? undefined : joined
}

import { posix } from 'node:path'
import { HOME, PKG, PROJECT, TMP, UNKNOWN } from './symbolic.js'

const MAX_PATH = 512
const HOME_ROOT = /^\/(?:home|Users)\/[^/]+(?=\/|$)|^\/(?:var\/)?root(?=\/|$)/
const NOT_PATH = ['\n', '\r', '\t', '<', '>', '|', '"', '`', '*', '?', '{', '}', '://', '\\n', '$(']
const STAND_IN_HOME = '/home/user'

/** What a symbolic path is anchored at. */
type Base = 'home' | 'tmp' | 'package' | 'project' | 'absolute' | 'unknown'

const baseOf = (text: string): { base: Base; rest: string } => {
  const first = text[0]
  if (first === HOME) return { base: 'home', rest: text.slice(1) }
  if (first === TMP) return { base: 'tmp', rest: text.slice(1) }
  if (first === PKG) return { base: 'package', rest: text.slice(1) }
  if (first === PROJECT) return { base: 'project', rest: text.slice(1) }
  // `${dir}/.npmrc` is a file below an unknown directory; `${name}.npmrc` is not a .npmrc at all.
  if (first === UNKNOWN) return { base: 'unknown', rest: text[1] === '/' ? text.slice(1) : `/x${text.slice(1)}` }
  if (text.startsWith('~/') || text === '~') return { base: 'home', rest: text.slice(1) }
  if (text.startsWith('$HOME/') || text.startsWith('${HOME}/')) return { base: 'home', rest: text.slice(text.indexOf('/')) }
  if (first === '/') return { base: 'absolute', rest: text }
  return { base: 'unknown', rest: `/${text}` }
}

const normalise = (rest: string): string => {
  // Inner markers (an unknown file name, a second home) stand for one unknown segment.
  const plain = rest.replace(/[\u0000-\u0004]+/g, 'x')
  const normal = posix.normalize(plain.startsWith('/') ? plain : `/${plain}`)
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal
}

/**
 * The forms a path seen in code is matched in against policies/trace/sensitive-paths.json (pure):
 * `~/...` and a stand-in absolute home for home paths, `<project>/...` for INIT_CWD, the absolute path
 * (plus `~/...` under /home/<user> or /root), and for a relative path or one below an unknown
 * directory both `~/...` and `/x/...` (it may be anywhere). Paths inside the package itself (from
 * `__dirname`, not escaping it) and strings that are not path-like give none.
 */
export const pathForms = (text: string): string[] => {
  if (text.length < 2 || text.length > MAX_PATH || NOT_PATH.some((bad) => text.includes(bad))) return []
  const { base, rest } = baseOf(text)
  if (base !== 'home' && base !== 'absolute' && /\s/.test(rest)) return []
  const path = normalise(rest)
  switch (base) {
    case 'home':
      return [`~${path === '/' ? '' : path}`, `${STAND_IN_HOME}${path}`]
    case 'project':
      return [`<project>${path}`, `/project${path}`]
    case 'tmp':
      return [`/tmp${path}`]
    case 'package': {
      // Relative to the package, `..` must survive normalisation: it is the way out of the package.
      const relative = posix.normalize(rest.replace(/^\/+/, '') || '.')
      if (relative !== '..' && !relative.startsWith('../')) return []
      const outside = `/${relative.replace(/^(?:\.\.\/)*(?:\.\.)?/, '')}`
      return outside === '/' ? [] : [`~${outside}`, `/x${outside}`]
    }
    case 'absolute': {
      const home = HOME_ROOT.exec(path)?.[0]
      return home === undefined ? [path] : [path, `~${path.slice(home.length)}`]
    }
    case 'unknown':
      return path === '/' || path === '/x' ? [] : [`~${path}`, `/x${path}`]
  }
}

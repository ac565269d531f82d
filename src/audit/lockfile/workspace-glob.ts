import { normalizeRelative } from './spec.js'

/**
 * npm's `workspaces` globs (`packages/*`, `apps/**`, `!packages/skip`) as a predicate on folder
 * paths. `*` and `?` stay within a segment, `**` spans segments; other glob syntax (braces,
 * classes) matches literally. Matching is O(path × glob) with no regular expressions, so a hostile
 * lockfile cannot make it backtrack.
 */
export const matchWorkspaceGlobs = (globs: readonly string[]): ((path: string) => boolean) => {
  const include: string[][] = []
  const exclude: string[][] = []
  for (const glob of globs) {
    const negated = glob.startsWith('!')
    const segments = normalizeRelative((negated ? glob.slice(1) : glob).replace(/\\/g, '/')).split('/')
    ;(negated ? exclude : include).push(segments)
  }
  return (path: string): boolean => {
    const parts = normalizeRelative(path).split('/')
    return include.some((glob) => matchSegments(glob, parts)) && !exclude.some((glob) => matchSegments(glob, parts))
  }
}

/** Wildcard matching with single-point backtracking: `**` over segments, then `*`/`?` within one. */
const matchSegments = (glob: readonly string[], parts: readonly string[]): boolean =>
  wildcard(glob.length, parts.length, (g) => glob[g] === '**', (g, p) => matchSegment(glob[g] ?? '', parts[p] ?? ''))

const matchSegment = (glob: string, text: string): boolean =>
  wildcard(glob.length, text.length, (g) => glob[g] === '*', (g, t) => glob[g] === '?' || glob[g] === text[t])

/** The classic linear-space wildcard match over abstract sequences. */
const wildcard = (
  globLength: number,
  textLength: number,
  isStar: (g: number) => boolean,
  matches: (g: number, t: number) => boolean,
): boolean => {
  let g = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < textLength) {
    if (g < globLength && !isStar(g) && matches(g, t)) {
      g += 1
      t += 1
    } else if (g < globLength && isStar(g)) {
      star = g
      resume = t
      g += 1
    } else if (star !== -1) {
      g = star + 1
      resume += 1
      t = resume
    } else return false
  }
  while (g < globLength && isStar(g)) g += 1
  return g === globLength
}

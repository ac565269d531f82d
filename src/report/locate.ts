import type { Finding } from '../types.js'

/**
 * Line numbers of package entries in a package-lock.json text (`"node_modules/x": {`), so SARIF
 * results and CI annotations point at the lockfile line. Pure.
 */
export const indexLockfileLines = (text: string): ReadonlyMap<string, number> => {
  const lines = new Map<string, number>()
  const entry = /^\s{4}"([^"]*)": \{/
  text.split('\n').forEach((line, index) => {
    const match = entry.exec(line)
    if (match?.[1] !== undefined && !lines.has(match[1])) lines.set(match[1], index + 1)
  })
  return lines
}

/** Where the findings of one report are placed: paths as the repository names them. */
export interface FindingPlaces {
  /** package.json of the project; root-project findings point here. */
  readonly manifestPath: string
  /** The lockfile; every other finding without a place of its own points here. */
  readonly lockfilePath: string
  /** 1-based line of a lockfile location (`node_modules/x`) in the lockfile, when known. */
  readonly locate: (location: string) => number | undefined
  /** A path an audit finding carries (`evidence.file` / `evidence.lockfile`, relative to where it ran), as the repository names it. */
  readonly rebase?: (path: string) => string
}

export interface FindingPlace {
  readonly file: string
  readonly line: number | undefined
}

const isLine = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1

/**
 * The file and line a finding is about, for SARIF and CI annotations alike. An audit finding
 * carries its own place (a script file it quotes, or the lockfile it was read from, with a
 * line); any other finding points at its package's lockfile entry, or at package.json for the
 * root project. Pure.
 */
export const placeFinding = (finding: Finding, places: FindingPlaces): FindingPlace => {
  const { file, lockfile, line: at } = finding.evidence
  const where = typeof file === 'string' ? file : lockfile
  if (typeof where === 'string' && isLine(at)) return { file: (places.rebase ?? ((p: string) => p))(where), line: at }
  const location = finding.package.location
  const isRoot = location === ''
  const line = location === undefined || isRoot ? undefined : places.locate(location)
  return { file: isRoot ? places.manifestPath : places.lockfilePath, line: isLine(line) ? line : undefined }
}

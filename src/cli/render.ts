import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { renderJson } from '../report/json.js'
import { indexLockfileLines, type FindingPlaces } from '../report/locate.js'
import { renderSarif } from '../report/sarif.js'
import { renderText } from '../report/text.js'
import type { Report } from '../types.js'

export type OutputFormat = 'text' | 'json' | 'sarif'

/** Names a file (absolute, or relative to where safe-install runs) as the repository does (src/ci/repo-path.ts). */
export type RepoPath = (path: string) => string

/** Places of an install-like run: each package at its line of the project's package-lock.json. */
export const installPlaces = async (prefix: string, repoPath: RepoPath): Promise<FindingPlaces> => {
  const lockfile = join(prefix, 'package-lock.json')
  const lines = indexLockfileLines(await readFile(lockfile, 'utf8').catch(() => ''))
  return { manifestPath: repoPath(join(prefix, 'package.json')), lockfilePath: repoPath(lockfile), locate: (location) => lines.get(location) }
}

/** Places of an audit: every finding carries its lockfile (or script file) and line, relative to where audit ran. */
export const auditPlaces = (lockfilePath: string, repoPath: RepoPath): FindingPlaces =>
  ({ manifestPath: repoPath('package.json'), lockfilePath: repoPath(lockfilePath), locate: () => undefined, rebase: repoPath })

/** SARIF with results located on the lockfile line of each package. */
export const sarifFor = async (report: Report, prefix: string, repoPath: RepoPath): Promise<string> =>
  renderSarif(report, await installPlaces(prefix, repoPath))

/** SARIF of an audit: every finding carries its lockfile and line. */
export const sarifForAudit = (report: Report, lockfilePath: string, repoPath: RepoPath): string =>
  renderSarif(report, auditPlaces(lockfilePath, repoPath))

export const renderFor = async (
  format: OutputFormat,
  report: Report,
  options: { prefix: string; repoPath: RepoPath; color: boolean; verbose: boolean },
): Promise<string> => {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'sarif':
      return sarifFor(report, options.prefix, options.repoPath)
    case 'text':
      return renderText(report, { color: options.color, verbose: options.verbose })
  }
}

import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { renderJson } from '../report/json.js'
import { indexLockfileLines } from '../report/locate.js'
import { renderSarif } from '../report/sarif.js'
import { renderText } from '../report/text.js'
import type { Report } from '../types.js'

export type OutputFormat = 'text' | 'json' | 'sarif'

/** SARIF with results located on the lockfile line of each package. */
export const sarifFor = async (report: Report, prefix: string, cwd: string): Promise<string> => {
  const lockfile = join(prefix, 'package-lock.json')
  const text = await readFile(lockfile, 'utf8').catch(() => '')
  const lines = indexLockfileLines(text)
  const rel = (file: string): string => relative(cwd, file).split('\\').join('/') || file
  return renderSarif(report, {
    manifestPath: rel(join(prefix, 'package.json')),
    lockfilePath: rel(lockfile),
    locate: (location) => lines.get(location),
  })
}

/** SARIF of an audit: every finding carries its lockfile and line. */
export const sarifForAudit = (report: Report, lockfilePath: string): string =>
  renderSarif(report, { manifestPath: 'package.json', lockfilePath, locate: () => undefined })

export const renderFor = async (
  format: OutputFormat,
  report: Report,
  options: { prefix: string; cwd: string; color: boolean; verbose: boolean },
): Promise<string> => {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'sarif':
      return sarifFor(report, options.prefix, options.cwd)
    case 'text':
      return renderText(report, { color: options.color, verbose: options.verbose })
  }
}

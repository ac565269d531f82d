import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Where install, ci and rebuild leave their last report for `policy ls` (inside node_modules: it describes that tree). */
export const lastReportPath = (prefix: string): string => join(prefix, 'node_modules', '.cache', 'safe-install', 'last-report.json')

/**
 * Saves a run's report as the last one, when node_modules exists (a `rebuild <name>` report
 * holds only what it ran). Best effort: a failure here never fails the install.
 */
export const saveLastReport = async (prefix: string, json: string, write: (file: string, text: string) => Promise<void>): Promise<void> => {
  const file = lastReportPath(prefix)
  if (!existsSync(join(prefix, 'node_modules'))) return
  try {
    await mkdir(dirname(file), { recursive: true })
    await write(file, json)
  } catch {
    // node_modules missing or read-only: policy ls then shows no last run
  }
}

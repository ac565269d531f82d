/**
 * Reading safe-install's output the way a GitHub Actions runner reads it: workflow commands
 * (annotations) outside `::stop-commands::` fences, and lockfile lines they point at.
 */

/** Output shown in an assertion message, with workflow commands defused (the suite may itself run in Actions). */
export const shown = (text: string): string => text.replace(/::/g, ': :')

/** 1-based line of `"node_modules/<name>": {` in a package-lock.json (0 when absent). */
export const lockLine = (lock: string, name: string): number => lock.split('\n').findIndex((line) => line.includes(`"node_modules/${name}": {`)) + 1

/** The workflow command lines the runner would obey: those outside any stop-commands fence. */
export const obeyed = (output: string): string[] => {
  const lines: string[] = []
  let fence: string | undefined
  for (const line of output.split('\n')) {
    const trimmed = line.trimStart()
    if (fence !== undefined) {
      if (trimmed === `::${fence}::`) fence = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(trimmed)
    if (stop !== null) fence = stop[1]
    else if (trimmed.startsWith('::')) lines.push(trimmed)
  }
  return lines
}

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

import { isAbsolute, relative, resolve } from 'node:path'

/**
 * How annotations and SARIF name a file: relative to the repository root, which in GitHub
 * Actions is `GITHUB_WORKSPACE` (a job with `working-directory: app` runs in a subdirectory, and
 * GitHub resolves `file=` and SARIF URIs against the root). Outside the workspace, or with no
 * workspace, paths are relative to where safe-install runs. Separators are always `/`. Pure.
 */
export const repoPathResolver = (cwd: string, workspace: string | undefined): ((path: string) => string) => {
  const inside = workspace !== undefined && workspace !== '' && isAbsolute(workspace) && isWithin(workspace, cwd)
  const base = inside ? workspace : cwd
  return (path) => relative(base, resolve(cwd, path)).split('\\').join('/') || '.'
}

const isWithin = (parent: string, child: string): boolean => {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

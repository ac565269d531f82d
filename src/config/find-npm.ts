import { existsSync, realpathSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'

/**
 * Locate the npm installation the user runs, so its builtin npmrc is read and scripts get the
 * same `npm_execpath` npm would give them. Falls back to the npm next to the running node.
 */
export const findNpmPath = (env: Readonly<Record<string, string | undefined>>, execPath: string): string => {
  const fromExecpath = env['npm_execpath']
  if (fromExecpath !== undefined && /npm-cli\.js$/.test(fromExecpath) && existsSync(fromExecpath)) {
    return dirname(dirname(realpathSync(fromExecpath)))
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, 'npm')
    if (!existsSync(candidate)) continue
    const real = realpathSync(candidate)
    const pkgDir = dirname(dirname(real))
    if (existsSync(join(pkgDir, 'package.json')) && existsSync(join(pkgDir, 'bin', 'npm-cli.js'))) {
      return pkgDir
    }
  }
  return join(dirname(dirname(execPath)), 'lib', 'node_modules', 'npm')
}

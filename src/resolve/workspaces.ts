import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import mapWorkspaces from '@npmcli/map-workspaces'
import { SafeInstallError } from '../errors.js'

/**
 * The workspace names `-w/--workspace` and `--workspaces` select, matched as npm matches them:
 * by name, by path, or by a parent folder. Empty when no workspace flag is given.
 */
export const selectWorkspaces = async (options: {
  readonly prefix: string
  readonly cwd: string
  readonly filters: readonly string[]
  readonly all: boolean
}): Promise<string[]> => {
  if (!options.all && options.filters.length === 0) return []
  const pkg = JSON.parse(await readFile(join(options.prefix, 'package.json'), 'utf8')) as unknown
  const workspaces = await mapWorkspaces({ cwd: options.prefix, pkg })
  if (options.filters.length === 0) {
    if (workspaces.size === 0) throw noneFound([])
    return [...workspaces.keys()]
  }
  const selected = new Set<string>()
  for (const filter of options.filters) {
    for (const [name, path] of workspaces) {
      const rel = relative(options.cwd, path)
      const underFilter = rel.startsWith(`${relative(options.cwd, resolve(options.cwd, filter))}/`)
      if (filter === name || resolve(options.cwd, filter) === path || underFilter) selected.add(name)
    }
  }
  if (selected.size === 0) throw noneFound(options.filters)
  return [...selected]
}

const noneFound = (filters: readonly string[]): SafeInstallError =>
  new SafeInstallError('EUSAGE',
    `No workspaces found${filters.length === 0 ? ' in package.json' : `: ${filters.map((f) => `--workspace=${f}`).join(' ')}`}`,
    'name a workspace listed in the "workspaces" field of the root package.json')

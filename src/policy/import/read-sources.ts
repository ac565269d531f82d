import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { SafeInstallError } from '../../errors.js'
import { locateInPackageJson, rawPath, type PackageJsonText, type PathSegment } from '../package-json-text.js'
import { importBun } from './bun.js'
import { importLavamoat } from './lavamoat.js'
import { importPnpm } from './pnpm.js'
import type { ImportFindings, ImportTool, SourceDocument } from './types.js'
import { importYarn } from './yarn.js'

export const IMPORT_TOOLS: readonly ImportTool[] = ['pnpm', 'bun', 'yarn', 'lavamoat']

/**
 * Read every tool's decisions from the project (`prefix`): package.json, pnpm-workspace.yaml,
 * .yarnrc.yml and pnpm's onlyBuiltDependenciesFile. Files that are absent are skipped; a file that
 * is present but malformed stops the import with `file:line:col`.
 */
export const readImportFindings = async (
  prefix: string, packageJson: PackageJsonText, tools: readonly ImportTool[],
): Promise<Map<ImportTool, ImportFindings>> => {
  const pkg: SourceDocument = { file: 'package.json', value: packageJson.value, locate: (path) => locateInPackageJson(packageJson, path) }
  const findings = new Map<ImportTool, ImportFindings>()
  for (const tool of tools) {
    switch (tool) {
      case 'pnpm': {
        const workspace = await readYamlSource(prefix, 'pnpm-workspace.yaml')
        findings.set(tool, importPnpm({ packageJson: pkg, ...(workspace === undefined ? {} : { workspace }), readListFile: (relative) => readJsonList(prefix, relative) }))
        break
      }
      case 'bun':
        findings.set(tool, importBun(pkg))
        break
      case 'yarn':
        findings.set(tool, importYarn(pkg, await readYamlSource(prefix, '.yarnrc.yml')))
        break
      case 'lavamoat':
        findings.set(tool, importLavamoat(pkg))
        break
    }
  }
  return findings
}

const readYamlSource = async (prefix: string, name: string): Promise<SourceDocument | undefined> => {
  const file = join(prefix, name)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SafeInstallError('ECONFIG', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check its permissions')
  }
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  const where = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset)
    return `${file}:${line}:${col}`
  }
  const error = document.errors[0]
  if (error !== undefined) {
    throw new SafeInstallError('ECONFIG', `${where(error.pos[0])}: not valid YAML: ${error.message.split('\n')[0] ?? ''}`, `fix the syntax of ${name}`)
  }
  const locate = (path: readonly PathSegment[]): string => {
    const raw = rawPath(path)
    for (let length = raw.length; length >= 0; length -= 1) {
      const node = length === 0 ? document.contents : document.getIn(raw.slice(0, length), true)
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range
      if (range !== undefined) return where(range[0])
    }
    return file
  }
  return { file: name, value: document.toJS({ maxAliasCount: 100 }) as unknown, locate }
}

const readJsonList = (prefix: string, relative: string): SourceDocument | undefined => {
  const file = resolve(prefix, relative)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    return { file: relative, value: JSON.parse(text) as unknown, locate: () => file }
  } catch (error) {
    throw new SafeInstallError('ECONFIG', `${file}: not valid JSON (${(error as Error).message})`, 'it must hold a JSON list of package names')
  }
}

import { SafeInstallError } from '../../errors.js'
import { exactVersionsOf, isPackageName, parseAllowKey } from '../allow-scripts-keys.js'
import { formatPath, rawPath, type PathSegment } from '../package-json-text.js'
import type { SourceDocument } from './types.js'

/**
 * Typed reads of another tool's settings. A field of the wrong type stops the import (exit 2) with
 * `file:line:col`, the JSON path of the field and what it must be: guessing would import a
 * decision nobody made.
 */
export const valueAt = (value: unknown, path: readonly PathSegment[]): unknown => {
  let current = value
  for (const segment of rawPath(path)) {
    if (typeof current !== 'object' || current === null) return undefined
    current = Object.hasOwn(current, segment) ? (current as Record<string | number, unknown>)[segment] : undefined
  }
  return current
}

const describe = (value: unknown): string => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `a string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  return typeof value === 'object' ? 'a map' : typeof value
}

export const fail = (doc: SourceDocument, path: readonly PathSegment[], what: string, value: unknown): never => {
  throw new SafeInstallError('ECONFIG', `${doc.locate(path)}: ${formatPath(path)} must be ${what}, not ${describe(value)}`,
    `fix ${formatPath(path)} in ${doc.file}, or leave that tool out with --from`)
}

/** A list of strings, or undefined when the field is absent. */
export const readList = (doc: SourceDocument, path: readonly PathSegment[]): Array<{ value: string; path: PathSegment[] }> | undefined => {
  const value = valueAt(doc.value, path)
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) return fail(doc, path, 'a list of package names', value)
  return value.map((item: unknown, index) => {
    const at = [...path, index]
    return typeof item === 'string' ? { value: item, path: at } : fail(doc, at, 'a package name (a string)', item)
  })
}

/** A map's entries in order, or undefined when the field is absent. */
export const readMap = (doc: SourceDocument, path: readonly PathSegment[], what = 'a map of package names'): Array<[string, unknown]> | undefined => {
  const value = valueAt(doc.value, path)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) return fail(doc, path, what, value)
  return Object.entries(value)
}

export const readBoolean = (doc: SourceDocument, path: readonly PathSegment[]): boolean | undefined => {
  const value = valueAt(doc.value, path)
  if (value === undefined) return undefined
  return typeof value === 'boolean' ? value : fail(doc, path, 'true or false', value)
}

/** `file path` as shown in the output. */
export const describeSource = (doc: SourceDocument, path: readonly PathSegment[]): string => `${doc.file} ${formatPath(path)}`

/**
 * A package spec another tool wrote (`esbuild`, `@scope/x`, `nx@21.6.4 || 21.6.5`, `github:o/r`) as
 * a name and exact versions, or the reason allowScripts cannot hold it.
 */
export const parseToolSpec = (spec: string): { name: string; versions: string[] | null } | { reason: string } => {
  if (spec.includes('*')) return { reason: 'a name pattern: allowScripts has no wildcards; approve the packages it matches by name' }
  const parsed = parseAllowKey(spec)
  switch (parsed.kind) {
    case 'git':
      return { name: spec, versions: null }
    case 'path':
    case 'remote':
    case 'alias':
      return { reason: 'not a package name' }
    case 'registry': {
      if (!isPackageName(parsed.name)) return { reason: 'not a valid package name' }
      if (parsed.spec === null) return { name: parsed.name, versions: null }
      const versions = exactVersionsOf(parsed.spec)
      return versions === null
        ? { reason: 'only exact versions (joined by ||) can be written to allowScripts' }
        : { name: parsed.name, versions }
    }
  }
}

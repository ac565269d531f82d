import { parseSyml } from '@yarnpkg/parsers'
import { failAt, type Position, type ReadContext } from './lockfile-error.js'
import { isRecord } from './record.js'

const CLASSIC_HEADER = /^(?:#.*\r?\n)*?#\s+yarn\s+lockfile\s+v1\r?\n/i

/**
 * A yarn.lock's value as yarn berry reads one, with `parseSyml`: its own grammar for yarn 1 files
 * (a yarn 1 file without the `# yarn lockfile v1` header gets it, so it is read as yarn 1 and not
 * as YAML), js-yaml with the FAILSAFE schema for berry files. Its errors become located LockfileErrors.
 */
export const parseYarnLock = (context: ReadContext, text: string, classic: boolean): Record<string, unknown> => {
  const prepend = classic && !CLASSIC_HEADER.test(text)
  let parsed: unknown
  try {
    parsed = parseSyml(prepend ? `# yarn lockfile v1\n${text}` : text)
  } catch (error) {
    throw failAt(context, positionOf(error, prepend ? 1 : 0), `not a valid yarn.lock: ${reasonOf(error)}`)
  }
  if (!isRecord(parsed)) throw failAt(context, 0, 'a yarn.lock must be a map of entries')
  return parsed
}

interface PegError { location?: { start?: { line?: number; column?: number } } }
interface YamlError { mark?: { line?: number; column?: number }; reason?: string }

const positionOf = (error: unknown, shift: number): Position => {
  const peg = (error as PegError).location?.start
  if (typeof peg?.line === 'number') return { line: Math.max(1, peg.line - shift), column: peg.column ?? 1 }
  const mark = (error as YamlError).mark
  if (typeof mark?.line === 'number') return { line: mark.line + 1, column: (mark.column ?? 0) + 1 }
  return { line: 1, column: 1 }
}

const reasonOf = (error: unknown): string => {
  const reason = (error as YamlError).reason
  if (typeof reason === 'string') return reason
  const message = error instanceof Error ? error.message : String(error)
  return (message.split('\n')[0] ?? message).replace(/ \(\d+:\d+\)$/, '').slice(0, 200)
}

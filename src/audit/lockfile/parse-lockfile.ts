import { lockfileFormat } from './detect.js'
import { LockfileError } from './lockfile-error.js'
import type { Lockfile, LockFormat } from './model.js'

/**
 * Read a lockfile's text into the common model. The format comes from the file name (and the
 * content for yarn.lock or an unknown name). Each format's reader, and the parser it needs, is
 * loaded only when that format is read: an npm lockfile never loads `yaml` or `@yarnpkg/parsers`.
 *
 * Throws only LockfileError: a file that is not what its format says fails with
 * `<file>:<line>:<col>: <what> — <fix>`; anything else a reader throws (a bug, a nesting too deep
 * for the stack) is wrapped the same way, at line 1, with the cause kept.
 */
export const parseLockfile = async (file: string, text: string): Promise<Lockfile> => {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  try {
    return await read(lockfileFormat(file, body), file, body)
  } catch (error) {
    if (error instanceof LockfileError) throw error
    const detail = error instanceof RangeError ? 'nested too deeply' : error instanceof Error ? error.message : String(error)
    throw new LockfileError(file, { line: 1, column: 1 }, `cannot be read (${detail.slice(0, 200)})`,
      'check that the file is the lockfile its name says; if it is, report this to safe-install with the file attached', { cause: error })
  }
}

const read = async (format: LockFormat, file: string, text: string): Promise<Lockfile> => {
  switch (format) {
    case 'npm':
      return (await import('./npm.js')).readNpmLockfile(file, text)
    case 'yarn-classic':
      return (await import('./yarn-classic.js')).readYarnClassic(file, text)
    case 'yarn-berry':
      return (await import('./yarn-berry.js')).readYarnBerry(file, text)
    case 'pnpm':
      return (await import('./pnpm.js')).readPnpmLockfile(file, text)
    case 'bun':
      return (await import('./bun.js')).readBunLockfile(file, text)
  }
}

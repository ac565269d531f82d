import { randomBytes } from 'node:crypto'
import { readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SafeInstallError } from '../errors.js'

/**
 * Replace package.json atomically: the new text goes to a temp file beside it (same mode), which is
 * renamed over the original, so a reader (npm, an editor, a crash) sees the old file or the new one,
 * never half of one. A symlinked package.json is written through to its target. If the file changed
 * since it was read (`expected`), nothing is written.
 */
export const writePackageJson = async (file: string, text: string, expected: string): Promise<void> => {
  const target = await realpath(file)
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const { mode } = await stat(target)
    await writeFile(temp, text, { mode: mode & 0o777, flag: 'wx' })
    if (await readFile(target, 'utf8') !== expected) {
      throw new SafeInstallError('EUSAGE', `${file} changed while safe-install was editing it; nothing was written`, 'run the command again')
    }
    await rename(temp, target)
  } catch (error) {
    await rm(temp, { force: true })
    if (error instanceof SafeInstallError) throw error
    throw new SafeInstallError('EUSAGE', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'check that package.json and its directory are writable', { cause: error })
  }
}

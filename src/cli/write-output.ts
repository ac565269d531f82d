import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { SafeInstallError } from '../errors.js'

/** Write a file atomically (temp + rename): a reader never sees half a report. */
export const writeFileAtomic = async (file: string, content: string): Promise<void> => {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, content, { mode: 0o644 })
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw new SafeInstallError('EUSAGE', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'check that the directory exists and is writable')
  }
}

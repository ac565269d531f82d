/** Lockfiles of every supported package manager, read into one located model (see model.ts). */
export type { LockEntry, Lockfile, LockFormat, LockSource, LockWorkspace } from './model.js'
export { LockfileError } from './lockfile-error.js'
export { detectLockfile, findLockfiles, LOCKFILE_NAMES, lockfileFormat } from './detect.js'
export { parseLockfile } from './parse-lockfile.js'

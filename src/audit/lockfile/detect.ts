import { statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { LockfileError } from './lockfile-error.js'
import type { LockFormat } from './model.js'

/**
 * Lockfile names in the order they are preferred when a project has several: npm-shrinkwrap.json
 * over package-lock.json (npm's own rule), then yarn.lock, pnpm-lock.yaml, bun.lock. A project with
 * more than one usually has stale leftovers of a switch of package manager; the caller should say
 * which file it read (findLockfiles lists them all). bun.lockb comes last only so that reading it
 * fails with the fix (bun's binary lockfile is not readable without bun).
 */
export const LOCKFILE_NAMES = ['npm-shrinkwrap.json', 'package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'] as const

/** Every lockfile present in the project folder, in preference order. */
export const findLockfiles = (projectDir: string): string[] =>
  LOCKFILE_NAMES.map((name) => join(projectDir, name)).filter((path) => {
    try {
      return statSync(path).isFile()
    } catch {
      return false
    }
  })

/** The lockfile an audit of the project reads, or undefined when it has none. */
export const detectLockfile = (projectDir: string): string | undefined => findLockfiles(projectDir)[0]

/**
 * Which format a lockfile is in, from its name and, for yarn.lock and unknown names, its content:
 * berry files have a top-level `__metadata`, yarn 1 files the `# yarn lockfile v1` header.
 */
export const lockfileFormat = (file: string, text: string): LockFormat => {
  switch (basename(file)) {
    case 'package-lock.json':
    case 'npm-shrinkwrap.json':
    case '.package-lock.json':
      return 'npm'
    case 'yarn.lock':
      return /^"?__metadata"?:/m.test(text) ? 'yarn-berry' : 'yarn-classic'
    case 'pnpm-lock.yaml':
      return 'pnpm'
    case 'bun.lock':
      return 'bun'
    case 'bun.lockb':
      throw new LockfileError(file, { line: 1, column: 1 }, 'bun.lockb is bun\'s binary lockfile, which cannot be read without running bun',
        'convert it once with `bun install --save-text-lockfile` (writes bun.lock), commit bun.lock and audit that')
    default:
      return sniff(file, text)
  }
}

const sniff = (file: string, text: string): LockFormat => {
  const head = text.slice(0, 4096)
  if (/^\s*\{/.test(head)) return /"node_modules\/|"requires"\s*:|"dependencies"\s*:\s*\{\s*"[^"]+"\s*:\s*\{/.test(head) ? 'npm' : 'bun'
  if (/^(?:#.*\r?\n)*#\s*yarn\s+lockfile\s+v1/i.test(head)) return 'yarn-classic'
  if (/^"?__metadata"?:/m.test(head)) return 'yarn-berry'
  if (/^(?:---\r?\n)?lockfileVersion:/m.test(head)) return 'pnpm'
  throw new LockfileError(file, { line: 1, column: 1 }, 'cannot tell which package manager wrote this file',
    'pass the lockfile under its own name: package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or bun.lock')
}

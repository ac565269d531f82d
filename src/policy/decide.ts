import type { PackageRecord, ScriptDecision, UnreviewedMode } from '../types.js'

/**
 * Whether a hook runs: the project's own scripts and approved packages run (sandboxed);
 * denied never; bundled dependencies never (npm's rule: they cannot be allow-listed);
 * unreviewed ones follow `--unreviewed`.
 */
export const decideScript = (pkg: PackageRecord, unreviewed: UnreviewedMode): ScriptDecision => {
  if (pkg.isRoot || pkg.source === 'workspace') return { kind: 'run', reason: 'the project\'s own script' }
  if (pkg.inBundle) return { kind: 'refuse', reason: 'bundled dependencies never run install scripts' }
  switch (pkg.approval) {
    case 'approved':
      return { kind: 'run', reason: `approved by allowScripts${pkg.approvedBy === null ? '' : ` entry "${pkg.approvedBy}"`}` }
    case 'denied':
      return { kind: 'refuse', reason: `denied by allowScripts${pkg.approvedBy === null ? '' : ` entry "${pkg.approvedBy}"`}` }
    case 'unreviewed':
      switch (unreviewed) {
        case 'sandbox':
          return { kind: 'run', reason: 'not reviewed; run in the sandbox (--unreviewed sandbox)' }
        case 'skip':
          return { kind: 'skip', reason: 'not reviewed: no allowScripts entry' }
        case 'fail':
          return { kind: 'refuse', reason: 'not reviewed and --unreviewed fail' }
      }
  }
}

/**
 * The exact command that approves a package's scripts: `safe-install policy approve` writes the
 * allowScripts entry npm 11 writes (both tools read it) and also pins the script content. It
 * matches installed packages by the name npm shows (the registry identity, else the folder name),
 * which is `pkg.name` for every source.
 */
export const approveCommand = (pkg: Pick<PackageRecord, 'name'>): string => `safe-install policy approve ${pkg.name}`

/** The exact command that denies a package's scripts (allowScripts `"name": false`). */
export const denyCommand = (pkg: Pick<PackageRecord, 'name'>): string => `safe-install policy deny ${pkg.name}`

import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { MountLayout } from './backends/bwrap.js'

export interface MountPlanInput {
  /** The hook's working directory: its package's own directory (the project for root scripts). */
  readonly packageDir: string
  readonly projectDir: string
  readonly hookTmp: string
  readonly decoyHome: string
  /** The user's real home (from the host env / passwd), hidden whatever its path. */
  readonly realHome: string | undefined
  /** Where node and safe-install itself live: must stay visible to run the hook at all. */
  readonly runtimeDirs: readonly string[]
  /** npm config files that may hold credentials (global, builtin, the project's .npmrc). */
  readonly credentialFiles: readonly string[]
  /** Extra writable paths granted by the policy: absolute grants and the real directories of `~` grants. */
  readonly writeGrants: readonly string[]
  /**
   * `~` grants: each real directory (`source`, resolved) also mounted writable at `target`, its
   * place in the hook's decoy home (src/sandbox/home-grants.ts), after the decoy home itself.
   */
  readonly homeBinds?: ReadonlyArray<{ readonly source: string; readonly target: string }>
  /** node-gyp's shared header cache, when npm has no nodedir. */
  readonly nodeGypDevdir: string | undefined
  /** The directory of the hook's egress proxy socket, shown read-only to the bridge. */
  readonly proxySocketDir?: string | undefined
}

const under = (child: string, parent: string): boolean => {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/**
 * The directories a hook sees as an empty private tmpfs (pure): /tmp, /var/tmp, /run (host
 * sockets: D-Bus, docker, agents), /home, /root, /mnt, /media and the real home wherever it is.
 * What a hook writes there (outside the paths bound back in) is thrown away with the namespace.
 */
export const hiddenDirs = (realHome: string | undefined): string[] => {
  const hide = ['/tmp', '/var/tmp', '/run', '/home', '/root', '/mnt', '/media']
  if (realHome !== undefined && realHome !== '/' && !hide.some((dir) => under(realHome, dir))) hide.push(realHome)
  return hide
}

/**
 * The mount layout of one hook (pure). Hidden: /tmp, /run (host sockets: D-Bus, docker, agents),
 * /home, /root and the real home. Read-only again: the project (manifests, lockfile, .git, other
 * packages) and the runtime. Writable: only the package's own directory, the hook's tmp, the decoy
 * home and what the policy grants; a `~` grant's real directory is mounted both at its own path
 * and inside the decoy home, and nothing else of the real home. Credential-bearing npmrc files
 * and the project's .env files are masked with an empty file.
 */
export const planMounts = (input: MountPlanInput): MountLayout => {
  const hide = hiddenDirs(input.realHome)
  const hidden = (path: string): boolean => hide.some((dir) => under(path, dir))
  const readOnly = [...input.runtimeDirs.filter(hidden), input.projectDir]
  if (input.proxySocketDir !== undefined) readOnly.push(input.proxySocketDir)
  const writable = [input.hookTmp, input.decoyHome, input.packageDir, ...input.writeGrants]
  if (input.nodeGypDevdir !== undefined) writable.push(input.nodeGypDevdir)
  const mask = input.credentialFiles.filter((file) => !hidden(file) || under(file, input.projectDir))
  const binds = (input.homeBinds ?? []).map((bind) => ({ source: resolve(bind.source), target: resolve(bind.target) }))
  return { hide, readOnly, writable: writable.map((p) => resolve(p)), binds, mask }
}

/** The files of a project a script must not read even though the project is visible (.npmrc, .env*). */
export const projectSecretFiles = (projectDir: string, entries: readonly string[]): string[] =>
  entries.filter((name) => name === '.npmrc' || name === '.env' || name.startsWith('.env.')).map((name) => join(projectDir, name))

/** The installation root of a binary (`/usr/bin/node` → `/usr`), re-exposed read-only if hidden. */
export const installRoot = (binary: string): string => dirname(dirname(binary))

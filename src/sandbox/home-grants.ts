/**
 * `~/...` write grants: the user's real home directory, not the per-run decoy home.
 *
 * A hook sees `$HOME` as a decoy home of its own (session.newHome). For each `~/x` grant the real
 * directory `$REAL_HOME/x` is created if missing (that directory only, with the home's owner) and
 * shown to the hook at `<decoy home>/x`, the path it computes from HOME, so a cache or download
 * outlives the install and what is already there is read back:
 *
 * - namespace backends (bubblewrap, ns-unshare.sh): the real directory is bind-mounted read-write
 *   at `<decoy home>/x` and at its own path; nothing else of the real home is mounted;
 * - backends without a mount namespace (none, Seatbelt): `<decoy home>/x` is a symlink to the real
 *   directory, which the Seatbelt profile makes readable and writable; the tracers judge writes by
 *   the real path they reach.
 *
 * The real directory must be a directory, not a symlink (a link planted there would carry the grant
 * elsewhere); its ancestors may be links the user made (a `~/.cache` on another disk): the resolved
 * target is what is granted, and it must pass the same refusals as any grant. A grant that cannot be
 * mapped stays in the throwaway decoy home, and the hook is told why (a warning finding).
 */
import { chown, lstat, mkdir, readlink, realpath, stat, symlink } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { normalizeTilde } from '../policy/grant-scope.js'
import { homeWriteNote } from '../trace/collector.js'
import type { Finding } from '../types.js'

/** One `~` grant as the policy wrote it, and its path below the home (`~/.cache/x` → `.cache/x`). */
export interface TildeGrant {
  readonly grant: string
  readonly rel: string
}

/** A `~` grant mapped for one hook: shown at `view`, really `real` (resolved). */
export interface HomeGrant extends TildeGrant {
  readonly view: string
  readonly real: string
}

/** A `~` grant left in the throwaway home, and why. */
export interface RefusedHomeGrant extends TildeGrant {
  /** The real path that was looked at. */
  readonly path: string | undefined
  readonly reason: string
  readonly fix: string
}

/**
 * A package's write grants split into `~` grants and absolute ones (pure). `~` grants inside
 * another `~` grant are dropped (the outer one already shows them); other forms were refused when
 * the policy was checked (src/policy/grant-scope.ts) and are dropped here.
 */
export const splitWriteGrants = (write: readonly string[]): { readonly home: TildeGrant[]; readonly absolute: string[] } => {
  const home: TildeGrant[] = []
  const absolute: string[] = []
  for (const grant of write) {
    const tilde = normalizeTilde(grant)
    if (tilde === undefined) {
      if (posix.isAbsolute(grant)) absolute.push(posix.normalize(grant))
      continue
    }
    if (tilde === '~' || tilde.startsWith('~/../') || tilde === '~/..') continue
    home.push({ grant, rel: tilde.slice(2) })
  }
  const inside = (a: TildeGrant, b: TildeGrant): boolean => a !== b && (a.rel.startsWith(`${b.rel}/`) || (a.rel === b.rel && home.indexOf(a) > home.indexOf(b)))
  return { home: home.filter((g) => !home.some((other) => inside(g, other))), absolute }
}

export interface HomeGrantSetup {
  readonly grants: readonly TildeGrant[]
  /** The user's real home: `$HOME` of safe-install itself. */
  readonly realHome: string | undefined
  /** This hook's own decoy home. */
  readonly hookHome: string
  /** `bind`: the backend mounts the real directory at the view (created empty here); `symlink`: the view is a link. */
  readonly view: 'bind' | 'symlink'
  /** Why a resolved directory must not be granted (src/policy/grant-scope.ts writeGrantRefusal), or undefined. */
  readonly refusal: (resolved: string, realHome: string) => string | undefined
}

/** Create the real directories and the views of one hook's `~` grants (I/O). Never throws for a bad grant: it is refused. */
export const prepareHomeGrants = async (setup: HomeGrantSetup): Promise<{ readonly mapped: HomeGrant[]; readonly refused: RefusedHomeGrant[] }> => {
  const mapped: HomeGrant[] = []
  const refused: RefusedHomeGrant[] = []
  for (const grant of setup.grants) {
    const result = await mapOne(grant, setup).catch((error: NodeJS.ErrnoException): RefusedHomeGrant => ({
      ...grant, path: undefined, reason: `it could not be prepared (${error.code ?? error.message})`, fix: 'run the install again; if it persists, report it',
    }))
    if ('reason' in result) refused.push(result)
    else mapped.push(result)
  }
  return { mapped, refused }
}

const mapOne = async (grant: TildeGrant, setup: HomeGrantSetup): Promise<HomeGrant | RefusedHomeGrant> => {
  const refuse = (path: string | undefined, reason: string, fix: string): RefusedHomeGrant => ({ ...grant, path, reason, fix })
  const home = setup.realHome
  const homeInfo = home === undefined || !posix.isAbsolute(home) || posix.normalize(home) === '/' ? undefined : await stat(home).catch(() => undefined)
  if (home === undefined || homeInfo?.isDirectory() !== true) {
    const why = home === undefined ? '$HOME is not set' : posix.normalize(home) === '/' ? '$HOME is /' : `${home} does not exist`
    return refuse(undefined, `your home directory cannot hold it (${why})`,
      'set HOME to your home directory, or grant an absolute path and point the tool at it with its cache variable')
  }
  const path = join(home, grant.rel)
  const found = await existingPart(home, grant.rel)
  if ('error' in found) return refuse(path, found.error, `make ${path} a directory you can write, or grant another path`)
  if (found.missing.length === 0) {
    const info = await lstat(path)
    if (info.isSymbolicLink()) {
      const target = await readlink(path).catch(() => '?')
      return refuse(path, `${path} is a symbolic link (to ${target}): a ~ grant must be a real directory, or the link would carry it elsewhere`,
        `replace the link with a directory, or grant the target's absolute path instead of ${grant.grant}`)
    }
    if (!info.isDirectory()) return refuse(path, `${path} is not a directory`, `move it away, or grant another path than ${grant.grant}`)
  }
  // Judged before anything is created: where the grant really lands once the links above it are followed.
  const realHome = await realpath(home)
  const real = join(await realpath(found.existing), ...found.missing)
  if (real !== path) {
    const reason = setup.refusal(real, realHome)
    if (reason !== undefined) return refuse(path, `${path} resolves to ${real}: ${reason}`, 'grant a directory that does not resolve there')
  }
  const created = await createMissing(found.existing, found.missing, homeInfo)
  if (created !== undefined) return refuse(path, created, `create ${path} as a directory yourself, or grant another path`)
  if (await realpath(path) !== real) return refuse(path, `${path} changed while it was being prepared`, 'run the install again')
  const view = join(setup.hookHome, grant.rel)
  await mkdir(setup.view === 'bind' ? view : dirname(view), { recursive: true, mode: 0o700 })
  if (setup.view === 'symlink') await symlink(real, view, 'dir')
  return { ...grant, view, real }
}

/** The deepest part of `home/rel` that exists (links followed), and the names below it that do not. */
const existingPart = async (home: string, rel: string): Promise<{ readonly existing: string; readonly missing: string[] } | { readonly error: string }> => {
  const parts = rel.split('/')
  let existing = home
  for (let i = 0; i < parts.length; i += 1) {
    const next = join(existing, parts[i] ?? '')
    const info = await stat(next).catch((error: NodeJS.ErrnoException) => error)
    if (info instanceof Error) {
      if (info.code !== 'ENOENT') return { error: `${next} cannot be read (${info.code ?? 'error'})` }
      if ((await lstat(next).catch(() => undefined)) !== undefined) return { error: `${next} is a symbolic link to nothing` }
      return { existing, missing: parts.slice(i) }
    }
    if (!info.isDirectory()) return i === parts.length - 1 ? { existing: next, missing: [] } : { error: `${next} is not a directory` }
    existing = next
  }
  return { existing, missing: [] }
}

/**
 * `mkdir` of the missing names below an existing directory of the home, nothing above it.
 * Directories created for a root run in another user's home (sudo keeping HOME) get that user as
 * owner, so the user's own tools can write there later. Returns why it failed, or undefined.
 */
const createMissing = async (existing: string, missing: readonly string[], homeInfo: { uid: number; gid: number }): Promise<string | undefined> => {
  let at = existing
  for (const name of missing) {
    at = join(at, name)
    try {
      await mkdir(at, { mode: 0o700 })
      if (process.getuid?.() === 0 && homeInfo.uid !== 0) await chown(at, homeInfo.uid, homeInfo.gid)
    } catch (error) {
      // Another hook with the same grant (two playwright packages) may have just made it: a directory is fine, a link is not.
      const made = (error as NodeJS.ErrnoException).code === 'EEXIST' ? await lstat(at).catch(() => undefined) : undefined
      if (made?.isDirectory() === true) continue
      return `${at} cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`
    }
  }
  return undefined
}

/** Where one hook's home is, and what its write grants open. */
export interface HookHome {
  /** The hook's `$HOME`: its own decoy home when it has `~` grants, else the run's shared one. */
  readonly dir: string
  /** Absolute grants and the real directories of mapped `~` grants. */
  readonly writable: readonly string[]
  readonly mapped: readonly HomeGrant[]
  readonly refused: readonly RefusedHomeGrant[]
}

/**
 * The home of one hook (I/O): the run's shared decoy home when the package has no `~` grant;
 * otherwise a decoy home of its own (so no other hook sees its views), with the grants mapped.
 */
export const openHookHome = async (input: {
  readonly write: readonly string[]
  readonly sharedHome: string
  readonly newHome: () => Promise<string>
} & Omit<HomeGrantSetup, 'grants' | 'hookHome'>): Promise<HookHome> => {
  const { home, absolute } = splitWriteGrants(input.write)
  if (home.length === 0) return { dir: input.sharedHome, writable: absolute, mapped: [], refused: [] }
  const dir = await input.newHome()
  const { mapped, refused } = await prepareHomeGrants({ ...input, grants: home, hookHome: dir })
  return { dir, writable: [...absolute, ...mapped.map((g) => g.real)], mapped, refused }
}

/** The warning that a `~` grant stayed in the throwaway home, with why and what to do (pure). */
export const refusedGrantFinding = (hook: Pick<Finding, 'package' | 'event'> & { readonly label: string }, refused: RefusedHomeGrant): Finding => ({
  package: hook.package,
  ...(hook.event === undefined ? {} : { event: hook.event }),
  rule: 'write-outside-package', severity: 'warning', action: 'blocked',
  message: `${hook.label}: its write grant ${refused.grant} was not mapped to your home (${refused.reason}); what it writes there is in the sandbox's throwaway home and is lost after the install.`,
  evidence: { grant: refused.grant, ...(refused.path === undefined ? {} : { path: refused.path }), reason: refused.reason, fix: refused.fix, entry: 'home-grant' },
})

/**
 * What a hook's `~` grants come to in its report (pure): a warning per grant left in the throwaway
 * home, and, when no tracer saw what the hook wrote, a note per grant mapped into the real home (a
 * tracer notes only the grants written to).
 */
export const homeGrantFindings = (hook: Pick<Finding, 'package' | 'event'>, home: HookHome, untraced: boolean): Finding[] => {
  const { name, version } = hook.package
  const labelled = { ...hook, label: `${hook.event ?? 'script'} of ${name}${version === '' ? '' : `@${version}`}` }
  return [
    ...home.refused.map((refused) => refusedGrantFinding(labelled, refused)),
    ...(untraced ? home.mapped.map((grant) => homeWriteNote(labelled, grant, [])) : []),
  ]
}

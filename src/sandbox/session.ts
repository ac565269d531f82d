import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { canaryEnv, canaryValues, decoyHomeFiles, makeCanaries, type Canaries } from './env/canaries.js'

/**
 * Per-run sandbox state: a decoy home seeded with canaries and a root for private TMPDIRs.
 * Created at the start of a run; `close()` (always in `finally`) deletes it.
 */
export interface SandboxSession {
  readonly root: string
  readonly home: string
  readonly canaries: Canaries
  readonly canaryEnv: Readonly<Record<string, string>>
  readonly canaryValues: readonly string[]
  /** resolv.conf for namespaced hooks: the bridge's DNS stub on 127.0.0.1. */
  readonly resolvConf: string
  /** A fresh private temp dir for one hook. */
  newTmpDir(label: string): Promise<string>
  /**
   * A fresh decoy home for one hook alone, seeded like `home` (the same canaries): for a hook whose
   * `~` write grants are mapped into it (src/sandbox/home-grants.ts), which no other hook may see.
   */
  newHome(label: string): Promise<string>
  /** HOME, XDG dirs, npm userconfig: what every hook's env gets from the session (`home` unless given). */
  homeEnv(tmp: string, home?: string): Readonly<Record<string, string>>
  close(): Promise<void>
}

export const openSandboxSession = async (options: { readonly registryUrl: string }): Promise<SandboxSession> => {
  const root = await mkdtemp(join(tmpdir(), 'safe-install-sbx-'))
  const home = join(root, 'home')
  const canaries = makeCanaries(randomBytes)
  const registryHost = new URL(options.registryUrl).host
  const seed = async (dir: string): Promise<void> => {
    for (const file of decoyHomeFiles(canaries, registryHost)) {
      const target = join(dir, file.path)
      await mkdir(dirname(target), { recursive: true, mode: 0o700 })
      await writeFile(target, file.content, { mode: file.mode, flag: 'wx' })
    }
    for (const sub of ['.cache', '.config', '.local/share', 'etc']) {
      await mkdir(join(dir, sub), { recursive: true, mode: 0o700 })
    }
  }
  await seed(home)
  const resolvConf = join(root, 'resolv.conf')
  await writeFile(resolvConf, 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n', { mode: 0o644 })
  let counter = 0
  const label = (text: string): string => {
    counter += 1
    return `${counter}-${text.replace(/[^a-zA-Z0-9._-]/g, '_')}`
  }
  return {
    root,
    home,
    resolvConf,
    canaries,
    canaryEnv: canaryEnv(canaries),
    canaryValues: canaryValues(canaries),
    newTmpDir: async (text) => {
      const dir = join(root, 'tmp', label(text))
      await mkdir(dir, { recursive: true, mode: 0o700 })
      return dir
    },
    newHome: async (text) => {
      await mkdir(join(root, 'homes'), { recursive: true, mode: 0o700 })
      const dir = join(root, 'homes', label(text))
      await mkdir(dir, { mode: 0o700 })
      await seed(dir)
      return dir
    },
    homeEnv: (tmp, hookHome = home) => ({
      HOME: hookHome,
      USERPROFILE: hookHome,
      XDG_CONFIG_HOME: join(hookHome, '.config'),
      XDG_CACHE_HOME: join(hookHome, '.cache'),
      XDG_DATA_HOME: join(hookHome, '.local/share'),
      TMPDIR: tmp,
      TMP: tmp,
      TEMP: tmp,
      npm_config_userconfig: join(hookHome, '.npmrc'),
      npm_config_globalconfig: join(hookHome, 'etc', 'npmrc'),
    }),
    close: () => rm(root, { recursive: true, force: true }),
  }
}

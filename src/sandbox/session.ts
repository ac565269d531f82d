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
  /** HOME, XDG dirs, npm userconfig: what every hook's env gets from the session. */
  homeEnv(tmp: string): Readonly<Record<string, string>>
  close(): Promise<void>
}

export const openSandboxSession = async (options: { readonly registryUrl: string }): Promise<SandboxSession> => {
  const root = await mkdtemp(join(tmpdir(), 'safe-install-sbx-'))
  const home = join(root, 'home')
  const canaries = makeCanaries(randomBytes)
  const registryHost = new URL(options.registryUrl).host
  for (const file of decoyHomeFiles(canaries, registryHost)) {
    const target = join(home, file.path)
    await mkdir(dirname(target), { recursive: true, mode: 0o700 })
    await writeFile(target, file.content, { mode: file.mode })
  }
  for (const dir of ['.cache', '.config', '.local/share', 'etc']) {
    await mkdir(join(home, dir), { recursive: true, mode: 0o700 })
  }
  const resolvConf = join(root, 'resolv.conf')
  await writeFile(resolvConf, 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n', { mode: 0o644 })
  let counter = 0
  return {
    root,
    home,
    resolvConf,
    canaries,
    canaryEnv: canaryEnv(canaries),
    canaryValues: canaryValues(canaries),
    newTmpDir: async (label) => {
      counter += 1
      const dir = join(root, 'tmp', `${counter}-${label.replace(/[^a-zA-Z0-9._-]/g, '_')}`)
      await mkdir(dir, { recursive: true, mode: 0o700 })
      return dir
    },
    homeEnv: (tmp) => ({
      HOME: home,
      USERPROFILE: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_DATA_HOME: join(home, '.local/share'),
      TMPDIR: tmp,
      TMP: tmp,
      TEMP: tmp,
      npm_config_userconfig: join(home, '.npmrc'),
      npm_config_globalconfig: join(home, 'etc', 'npmrc'),
    }),
    close: () => rm(root, { recursive: true, force: true }),
  }
}

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { copyProject, REPO_ROOT } from './fixtures.js'
import { npmEnv, run, type RegistryInfo, type RunResult, writeNpmrc } from './registry.js'

export const BIN = path.join(REPO_ROOT, 'bin', 'safe-install.js')

/** Fake credentials planted in the environment and the (temp) real home of a test run. */
export const PLANTED = {
  NPM_TOKEN: 'npm_PLANTEDplantedPLANTEDplantedPLANTED01',
  GITHUB_TOKEN: 'ghp_PLANTEDplantedPLANTEDplantedPLANTED02',
  AWS_SECRET_ACCESS_KEY: 'PLANTED/planted+PLANTEDplantedPLANTED03',
  HOME_NPMRC_TOKEN: 'planted-home-npmrc-token-04',
} as const

export interface TestProject {
  readonly dir: string
  readonly home: string
  readonly env: Record<string, string>
}

/**
 * Copy a fixture project into `root/<label>`, point it at the registry, and give it a temp "real"
 * home holding a planted ~/.npmrc, plus an env with planted tokens, so tests can prove neither
 * reaches a script.
 */
export const prepareProject = async (
  name: string,
  root: string,
  label: string,
  reg: Pick<RegistryInfo, 'url' | 'token'>,
  changes: {
    allowScripts?: Record<string, boolean>
    dependencies?: Record<string, string>
    npmrcExtra?: Record<string, string>
    files?: Record<string, string>
  } = {},
): Promise<TestProject> => {
  const dir = path.join(root, label, 'project')
  const home = path.join(root, label, 'home')
  await mkdir(home, { recursive: true })
  await writeFile(path.join(home, '.npmrc'), `//127.0.0.1:9/:_authToken=${PLANTED.HOME_NPMRC_TOKEN}\n`)
  await copyProject(name, dir)
  await writeNpmrc(dir, reg, changes.npmrcExtra === undefined ? {} : { extra: changes.npmrcExtra })
  if (changes.allowScripts !== undefined || changes.dependencies !== undefined) {
    const file = path.join(dir, 'package.json')
    const pkg = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    if (changes.allowScripts !== undefined) pkg['allowScripts'] = changes.allowScripts
    if (changes.dependencies !== undefined) pkg['dependencies'] = changes.dependencies
    await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`)
  }
  for (const [name, content] of Object.entries(changes.files ?? {})) await writeFile(path.join(dir, name), content)
  const env = npmEnv(home, {
    NPM_TOKEN: PLANTED.NPM_TOKEN,
    GITHUB_TOKEN: PLANTED.GITHUB_TOKEN,
    AWS_SECRET_ACCESS_KEY: PLANTED.AWS_SECRET_ACCESS_KEY,
    LANG: 'C.UTF-8',
  })
  return { dir, home, env }
}

export const safeInstall = (project: TestProject, args: string[], timeoutMs = 110_000): Promise<RunResult> =>
  run(process.execPath, [BIN, ...args], { cwd: project.dir, env: project.env, timeoutMs })

export const npm = (project: TestProject, args: string[], timeoutMs = 110_000): Promise<RunResult> =>
  run('npm', args, { cwd: project.dir, env: project.env, timeoutMs })

export const readJson = async <T = Record<string, unknown>>(file: string): Promise<T> =>
  JSON.parse(await readFile(file, 'utf8')) as T

/** Alive and not a zombie waiting for its (re)parent to reap it. */
export const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Whether bubblewrap can create the namespaces here (tests of the bwrap launcher skip otherwise). */
export const bwrapWorks = (): boolean => {
  if (process.platform !== 'linux') return false
  try {
    execFileSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

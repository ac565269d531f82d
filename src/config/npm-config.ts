import Config from '@npmcli/config'
import npmDefinitions from '@npmcli/config/lib/definitions/index.js'
import { SafeInstallError } from '../errors.js'
import { findNpmPath } from './find-npm.js'
import { isSecretName } from '../sandbox/env/secret-patterns.js'

/** npm's configuration, loaded exactly as npm loads it (project, user, global, builtin, env, CLI). */
export interface NpmConfig {
  /** Arborist / pacote options, as npm's flatOptions. Holds auth: never hand it to a script. */
  readonly flat: Readonly<Record<string, unknown>>
  readonly prefix: string
  readonly npmPath: string
  readonly get: (key: string) => unknown
  /** The variables npm exports to scripts (npm_config_*, INIT_CWD, NODE, npm_execpath ...), unfiltered. */
  readonly scriptEnv: Readonly<Record<string, string>>
  /** Every credential value found in any config layer: redacted from output, never passed to scripts. */
  readonly secretValues: readonly string[]
}

export interface LoadNpmConfigOptions {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly execPath: string
  /** npm-style CLI arguments (e.g. `--save-dev`, `--omit=dev`) translated from our own flags. */
  readonly npmArgs: readonly string[]
}

export const loadNpmConfig = async (options: LoadNpmConfigOptions): Promise<NpmConfig> => {
  const npmPath = findNpmPath(options.env, options.execPath)
  const envCopy: Record<string, string | undefined> = { ...options.env }
  const { definitions, flatten, nerfDarts, shorthands } = npmDefinitions
  const config = new Config({
    definitions,
    shorthands,
    flatten,
    nerfDarts,
    npmPath,
    env: envCopy,
    argv: [options.execPath, 'npm', ...options.npmArgs],
    cwd: options.cwd,
    execPath: options.execPath,
    warn: false,
  })
  try {
    await config.load()
  } catch (error) {
    throw new SafeInstallError('ECONFIG', `could not read npm configuration: ${(error as Error).message}`,
      'fix the .npmrc file named above (npm config ls shows what npm reads)', { cause: error })
  }
  const invalid = [...config.data.entries()].filter(([, layer]) => !layer.valid).map(([where]) => where)
  if (invalid.length > 0) {
    config.validate()
  }
  const flat = config.flat
  return {
    flat,
    prefix: config.localPrefix,
    npmPath,
    get: (key) => config.get(key),
    scriptEnv: collectScriptEnv(envCopy, options.env),
    secretValues: collectSecretValues(config.list),
  }
}

const collectScriptEnv = (
  after: Readonly<Record<string, string | undefined>>,
  before: Readonly<Record<string, string | undefined>>,
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(after)) {
    if (value === undefined) continue
    const added = before[name] !== value
    if (name.startsWith('npm_') || (added && (name === 'INIT_CWD' || name === 'NODE' || name === 'NODE_OPTIONS'))) {
      out[name] = value
    }
  }
  return out
}

const collectSecretValues = (layers: ReadonlyArray<Record<string, unknown>>): string[] => {
  const values = new Set<string>()
  for (const layer of layers) {
    for (const key of Object.keys(layer)) {
      const value = layer[key]
      if (typeof value !== 'string' || value.length < 4) continue
      if (isSecretName(key) || /:_auth|_password|_authToken|certfile|keyfile/i.test(key)) {
        values.add(value)
        if (/_password$/.test(key)) {
          values.add(Buffer.from(value, 'base64').toString('utf8'))
        }
      }
      const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/\s]+)@/i.exec(value)?.[1]
      if (userinfo !== undefined) values.add(userinfo)
    }
  }
  return [...values].filter((v) => v.length >= 4)
}

/** A config value that may be a list (`allow-scripts`, `globalconfig`) as a list of non-empty strings. */
export const configList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '')
    : typeof value === 'string' && value !== '' ? [value] : []

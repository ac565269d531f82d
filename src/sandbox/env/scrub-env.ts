import { isSecretName, looksSecretValue } from './secret-patterns.js'

/** Host variables a script may see. An allow-list: anything not named here is dropped. */
const HOST_ALLOW: readonly RegExp[] = [
  /^(LANG|LANGUAGE|TERM|COLORTERM|TZ|SHELL)$/,
  /^LC_[A-Z]+$/,
  /^(CI|CONTINUOUS_INTEGRATION|NODE_ENV|FORCE_COLOR|NO_COLOR)$/,
  /^(ADBLOCK|DISABLE_OPENCOLLECTIVE|OPEN_SOURCE_CONTRIBUTOR|OPENCOLLECTIVE_HIDE|SUPPRESS_SUPPORT)$/,
  /^(PYTHON|CC|CXX|CPP|LD|AR|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS|MAKEFLAGS|JOBS|PKG_CONFIG_PATH)$/,
  /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR)$/,
  /^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy)$/,
]

/** What the policy lets through beyond the allow-list. Secret-looking names pass only by exact per-package grant. */
export interface EnvGrants {
  /** Globs (`NAME`, `PREFIX_*`) granted to every script; never match secret-looking names. */
  readonly everyScript: readonly string[]
  /** Globs granted to this package; an exact name here may pass a secret-looking variable. */
  readonly thisPackage: readonly string[]
}

export interface ScrubEnvInput {
  readonly hostEnv: Readonly<Record<string, string | undefined>>
  /** npm's exported config (npm_config_*, INIT_CWD, NODE, npm_execpath). */
  readonly npmEnv: Readonly<Record<string, string>>
  /** What npm computed for this hook (npm_package_*, npm_lifecycle_*, PATH ...). */
  readonly lifecycleEnv: Readonly<Record<string, string>>
  /** HOME, XDG dirs, TMPDIR, npm_config_userconfig ...: the sandbox's own values, set last. */
  readonly sandboxEnv: Readonly<Record<string, string>>
  /** Decoy credentials (NPM_TOKEN ...), set unless a real value is granted. */
  readonly canaryEnv: Readonly<Record<string, string>>
  readonly grants: EnvGrants
  /** Real credential values from npm's config: any variable carrying one is dropped. */
  readonly secretValues: readonly string[]
}

export interface ScrubbedEnv {
  readonly env: Readonly<Record<string, string>>
  /** Names withheld from the script (never values). */
  readonly withheld: readonly string[]
}

const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)

const matchesAny = (name: string, globs: readonly string[]): boolean =>
  globs.some((glob) => globToRegExp(glob).test(name))

const carriesKnownSecret = (value: string, secretValues: readonly string[]): boolean =>
  secretValues.some((secret) => secret.length >= 4 && value.includes(secret))

const isSecret = (name: string, value: string, secretValues: readonly string[]): boolean =>
  isSecretName(name) || looksSecretValue(value) || carriesKnownSecret(value, secretValues)

/**
 * Build a script's environment from an allow-list (STYLE: never a deny-list). Order of precedence:
 * host allow-list < npm config < npm lifecycle vars < canaries < granted host vars < sandbox dirs.
 * Secret-looking names and values are withheld at every layer unless exactly granted to the package.
 */
export const scrubEnv = (input: ScrubEnvInput): ScrubbedEnv => {
  const env: Record<string, string> = {}
  const withheld = new Set<string>()
  const consider = (name: string, value: string | undefined, allowed: boolean): void => {
    if (value === undefined) return
    if (!allowed) {
      withheld.add(name)
      return
    }
    if (isSecret(name, value, input.secretValues) && !input.grants.thisPackage.includes(name)) {
      withheld.add(name)
      return
    }
    env[name] = value
  }

  for (const [name, value] of Object.entries(input.hostEnv)) {
    const granted = matchesAny(name, input.grants.everyScript) || matchesAny(name, input.grants.thisPackage)
    consider(name, value, granted || HOST_ALLOW.some((re) => re.test(name)))
  }
  for (const [name, value] of Object.entries(input.npmEnv)) consider(name, value, true)
  for (const [name, value] of Object.entries(input.lifecycleEnv)) {
    if (input.hostEnv[name] === value && !/^(PATH|Path)$/.test(name) && !name.startsWith('npm_')) continue
    consider(name, value, true)
  }
  for (const [name, value] of Object.entries(input.canaryEnv)) {
    const realGranted = input.grants.thisPackage.includes(name) && input.hostEnv[name] !== undefined
    if (!realGranted) env[name] = value
  }
  Object.assign(env, input.sandboxEnv)
  for (const name of Object.keys(env)) withheld.delete(name)
  return { env, withheld: [...withheld].sort() }
}

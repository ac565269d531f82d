import type { Argv } from 'yargs'

/** npm flags we accept and hand to npm's own config loader, as `[yargs key, npm flag, kind]`. */
export const NPM_FLAGS: ReadonlyArray<readonly [string, string, 'boolean' | 'string' | 'array']> = [
  ['save-dev', 'save-dev', 'boolean'],
  ['save-optional', 'save-optional', 'boolean'],
  ['save-prod', 'save-prod', 'boolean'],
  ['save-peer', 'save-peer', 'boolean'],
  ['save-exact', 'save-exact', 'boolean'],
  ['save', 'save', 'boolean'],
  ['omit', 'omit', 'array'],
  ['include', 'include', 'array'],
  ['workspace', 'workspace', 'array'],
  ['workspaces', 'workspaces', 'boolean'],
  ['include-workspace-root', 'include-workspace-root', 'boolean'],
  ['legacy-peer-deps', 'legacy-peer-deps', 'boolean'],
  ['strict-peer-deps', 'strict-peer-deps', 'boolean'],
  ['prefer-offline', 'prefer-offline', 'boolean'],
  ['prefer-online', 'prefer-online', 'boolean'],
  ['offline', 'offline', 'boolean'],
  ['registry', 'registry', 'string'],
  ['ignore-scripts', 'ignore-scripts', 'boolean'],
  ['force', 'force', 'boolean'],
  ['cache', 'cache', 'string'],
  ['package-lock', 'package-lock', 'boolean'],
  ['package-lock-only', 'package-lock-only', 'boolean'],
  ['dry-run', 'dry-run', 'boolean'],
  ['before', 'before', 'string'],
  ['install-links', 'install-links', 'boolean'],
  ['install-strategy', 'install-strategy', 'string'],
  ['audit', 'audit', 'boolean'],
  ['fund', 'fund', 'boolean'],
  ['progress', 'progress', 'boolean'],
]

const SHORT: Readonly<Record<string, string>> = {
  'save-dev': 'D', 'save-optional': 'O', 'save-prod': 'P', 'save-exact': 'E', workspace: 'w', workspaces: 'ws',
}

/** Declare the npm flags on a yargs command (strict: anything else is an error). */
export const withNpmFlags = <T>(y: Argv<T>): Argv<T> => {
  let out = y
  for (const [key, , kind] of NPM_FLAGS) {
    const alias = SHORT[key]
    out = out.option(key, {
      // repeated flags collect into an array; `array` would swallow the positional specs that follow
      type: kind === 'array' ? 'string' : kind,
      ...(kind === 'boolean' ? {} : { requiresArg: true }),
      group: 'npm options:',
      describe: `as npm's --${key}`,
      ...(alias === undefined ? {} : { alias }),
    })
  }
  return out
}

/** Translate parsed yargs values back into npm CLI arguments for @npmcli/config. */
export const toNpmArgs = (argv: Readonly<Record<string, unknown>>): string[] => {
  const args: string[] = []
  for (const [key, flag, kind] of NPM_FLAGS) {
    const value = argv[key]
    if (value === undefined) continue
    switch (kind) {
      case 'boolean':
        args.push(value === true ? `--${flag}` : `--no-${flag}`)
        break
      case 'string':
        if (typeof value === 'string' || typeof value === 'number') args.push(`--${flag}=${value}`)
        break
      case 'array':
        for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
          if (typeof item === 'string' || typeof item === 'number') args.push(`--${flag}=${item}`)
        }
        break
    }
  }
  return args
}

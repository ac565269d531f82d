import { describe, expect, it } from 'vitest'
import { scrubEnv, type ScrubEnvInput } from '../../../src/sandbox/env/scrub-env.js'

const base = (over: Partial<ScrubEnvInput> = {}): ScrubEnvInput => ({
  hostEnv: {
    PATH: '/usr/bin', LANG: 'C.UTF-8', CI: 'true', HOME: '/home/real',
    NPM_TOKEN: 'npm_realrealrealrealrealrealrealrealreal', GITHUB_TOKEN: 'ghp_real',
    AWS_SECRET_ACCESS_KEY: 'real', SOME_RANDOM: 'x', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/0/bus',
    MY_VAR: 'harmless', SHARP_DIST_BASE_URL: 'http://mirror.local/',
  },
  npmEnv: { npm_config_registry: 'http://127.0.0.1:4873/', 'npm_config__authToken': 'tok-1234', INIT_CWD: '/p' },
  lifecycleEnv: { PATH: '/p/node_modules/.bin:/usr/bin', npm_lifecycle_event: 'postinstall', NPM_TOKEN: 'npm_realrealrealrealrealrealrealrealreal', SOME_RANDOM: 'x' },
  sandboxEnv: { HOME: '/decoy', TMPDIR: '/decoy/tmp' },
  canaryEnv: { NPM_TOKEN: 'npm_canary', GITHUB_TOKEN: 'ghp_canary' },
  grants: { everyScript: [], thisPackage: [] },
  secretValues: ['tok-1234'],
  ...over,
})

describe('scrubEnv', () => {
  it('keeps the allow-list, npm variables and the lifecycle PATH', () => {
    const { env } = scrubEnv(base())
    expect(env['LANG']).toBe('C.UTF-8')
    expect(env['CI']).toBe('true')
    expect(env['PATH']).toBe('/p/node_modules/.bin:/usr/bin')
    expect(env['npm_lifecycle_event']).toBe('postinstall')
    expect(env['npm_config_registry']).toBe('http://127.0.0.1:4873/')
    expect(env['INIT_CWD']).toBe('/p')
  })

  it('withholds everything not allow-listed, and every secret, by name only', () => {
    const { env, withheld } = scrubEnv(base())
    expect(env['SOME_RANDOM']).toBeUndefined()
    expect(env['MY_VAR']).toBeUndefined()
    expect(env['DBUS_SESSION_BUS_ADDRESS']).toBeUndefined()
    expect(env['npm_config__authToken']).toBeUndefined()
    expect(env['AWS_SECRET_ACCESS_KEY']).toBeUndefined()
    expect(withheld).toContain('npm_config__authToken')
    expect(JSON.stringify(withheld)).not.toContain('tok-1234')
  })

  it('replaces the credentials attackers look for with canaries and the home with the decoy', () => {
    const { env } = scrubEnv(base())
    expect(env['NPM_TOKEN']).toBe('npm_canary')
    expect(env['GITHUB_TOKEN']).toBe('ghp_canary')
    expect(env['HOME']).toBe('/decoy')
    expect(Object.values(env).join('\n')).not.toContain('real')
  })

  it('drops any variable carrying a known credential value or a secret-shaped value', () => {
    const { env } = scrubEnv(base({
      npmEnv: { npm_config_proxy: 'http://user:tok-1234@proxy:8080', npm_config_foo: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
    }))
    expect(env['npm_config_proxy']).toBeUndefined()
    expect(env['npm_config_foo']).toBeUndefined()
  })

  it('passes granted variables: globs for every script, exact secret names only per package', () => {
    const { env } = scrubEnv(base({ grants: { everyScript: ['SHARP_*', 'NPM_*'], thisPackage: ['GITHUB_TOKEN'] } }))
    expect(env['SHARP_DIST_BASE_URL']).toBe('http://mirror.local/')
    expect(env['NPM_TOKEN']).toBe('npm_canary')
    expect(env['GITHUB_TOKEN']).toBe('ghp_real')
  })
})

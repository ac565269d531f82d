import { isExactVersion, splitNameAndSpec } from './spec.js'

/** What a pnpm `packages` key says: the package name and what follows the `@` (a version, or a spec like `file:…`). */
export interface PnpmKey {
  readonly name: string
  readonly spec: string | undefined
  readonly version: string | undefined
}

/** `name@1.0.0(peer@2.0.0)(other@3)` gives `name@1.0.0`; pnpm writes resolved peers as a suffix. */
export const stripPeers = (key: string): string => {
  const { name, spec } = splitNameAndSpec(key)
  const open = spec?.indexOf('(') ?? -1
  return spec === undefined || open <= 0 ? key : `${name}@${spec.slice(0, open)}`
}

/**
 * A `packages` key of any lockfile version: v5 `/name/1.0.0_peer@2`, v6 `/name@1.0.0(peer@2)` (or
 * with a registry host first, `host.example/name@1.0.0`), v9 `name@1.0.0` and `name@file:../x`.
 * Keys that name no package (v6 `github.com/owner/repo/<sha>`, `file:packages/x`) give an empty
 * name: the entry's own `name` field says it.
 */
export const parsePnpmKey = (key: string, major: number): PnpmKey => {
  if (major < 9 && key.startsWith('/')) return major < 6 ? parseV5Path(key.slice(1)) : fromSpec(stripPeers(key.slice(1)))
  if (major < 9) {
    const hosted = /^[^/@]+\.[^/]+\/(.+)$/.exec(key)?.[1]
    if (hosted !== undefined && /^(?:@[^/]+\/)?[^/@]+@[^/]/.test(hosted)) return fromSpec(stripPeers(hosted))
    return { name: '', spec: undefined, version: undefined }
  }
  return fromSpec(stripPeers(key))
}

const fromSpec = (text: string): PnpmKey => {
  const { name, spec } = splitNameAndSpec(text)
  return { name, spec, version: spec !== undefined && isExactVersion(spec) ? spec : undefined }
}

/** v5: `name/1.0.0_peer@2.0.0`, `@scope/name/1.0.0`. */
const parseV5Path = (path: string): PnpmKey => {
  const parts = path.split('/')
  const scoped = parts[0]?.startsWith('@') === true
  const name = parts.slice(0, scoped ? 2 : 1).join('/')
  const rest = parts.slice(scoped ? 2 : 1).join('/')
  const version = rest.split('_')[0] ?? ''
  return { name, spec: rest === '' ? undefined : version, version: isExactVersion(version) ? version : undefined }
}

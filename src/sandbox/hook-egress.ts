import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { startEgressProxy, type EgressProxy } from '../egress/proxy.js'
import type { SecretNeedle } from '../egress/secret-scan.js'
import type { EgressEvent, Finding, PackageRecord } from '../types.js'

/** Port of the bridge inside a hook's network namespace (private to the namespace). */
export const BRIDGE_PORT = 3128

/** What every hook's egress proxy shares within one run. */
export interface EgressSettings {
  /** Hosts every script may reach (policy `network.allow`). */
  readonly grants: readonly string[]
  /** `report`: hosts refused only for want of a grant are let through and recorded (egress-unexpected). */
  readonly mode: 'enforce' | 'report'
  /** The user's own proxy (npm's https-proxy / proxy), chained to when set. */
  readonly upstream: string | undefined
  /** Canary and real secret values that must never leave. */
  readonly secrets: readonly SecretNeedle[]
  /** Hosts refused whatever the grants say (indicators of compromise: host → record id). */
  readonly denied?: ReadonlyMap<string, string> | undefined
  readonly onEvent: (event: EgressEvent) => void
  readonly onFinding: (finding: Finding) => void
}

export interface HookEgress {
  readonly proxy: EgressProxy
  /** Proxy variables for the hook's environment. */
  readonly env: Readonly<Record<string, string>>
  /** The unix socket the namespace bridge connects to (namespace backend only). */
  readonly socketPath: string | undefined
}

/**
 * Start the egress proxy of one hook. With namespaces it listens on a unix socket that the
 * in-namespace bridge exposes as 127.0.0.1:3128; without, on loopback with per-hook credentials
 * (attribution without namespaces; a script can still ignore the proxy, and the report says so).
 */
export const startHookEgress = async (options: {
  readonly settings: EgressSettings
  readonly pkg: PackageRecord
  readonly event: string
  readonly packageGrants: readonly string[]
  readonly socketDir: string | undefined
}): Promise<HookEgress> => {
  const credentials = `hook:${randomBytes(18).toString('hex')}`
  const socketPath = options.socketDir === undefined ? undefined : join(options.socketDir, 'proxy.sock')
  const proxy = await startEgressProxy({
    listen: socketPath === undefined ? { kind: 'tcp', host: '127.0.0.1', credentials } : { kind: 'unix', path: socketPath },
    attribution: { package: { name: options.pkg.name, version: options.pkg.version, location: options.pkg.location }, event: options.event },
    grants: [...options.settings.grants, ...options.packageGrants],
    mode: options.settings.mode,
    denied: options.settings.denied,
    upstream: options.settings.upstream === undefined ? undefined : { url: options.settings.upstream },
    secrets: options.settings.secrets,
    onEvent: options.settings.onEvent,
    onFinding: options.settings.onFinding,
  })
  const address = proxy.address()
  const url = address.kind === 'tcp' ? `http://${credentials}@127.0.0.1:${address.port}` : `http://127.0.0.1:${BRIDGE_PORT}`
  return { proxy, env: proxyEnv(url), socketPath }
}

/** Every variable the common clients read for their proxy; NO_PROXY empty so nothing bypasses it. */
export const proxyEnv = (url: string): Readonly<Record<string, string>> => ({
  HTTP_PROXY: url,
  HTTPS_PROXY: url,
  http_proxy: url,
  https_proxy: url,
  ALL_PROXY: url,
  npm_config_proxy: url,
  npm_config_https_proxy: url,
  GLOBAL_AGENT_HTTP_PROXY: url,
  GLOBAL_AGENT_HTTPS_PROXY: url,
  NODE_USE_ENV_PROXY: '1',
  ELECTRON_GET_USE_PROXY: '1',
  NO_PROXY: '',
  no_proxy: '',
  npm_config_noproxy: '',
})

import { decideEgress, parseGrants } from '../egress/host-rules.js'

/**
 * Resolver egress for git: npm runs `git` (ls-remote, clone, fetch) for git dependencies, outside
 * its HTTP stack. npm's `git` setting is pointed at a per-run shim that runs this check before the
 * real git: any remote on a host that `network.allow` does not grant is refused, and recorded for
 * the report. Pure apart from the entry point in git-gate-main.ts.
 */

export interface GitRemote {
  /** As given to git. */
  readonly url: string
  readonly host: string
  readonly port: number
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80, 'ssh:': 22, 'git:': 9418 }

/** The network remotes among git's arguments: URLs (`https://`, `ssh://`, `git://`, `git+ssh://`) and scp-like `user@host:path`. */
export const gitRemotes = (args: readonly string[]): GitRemote[] => {
  const remotes: GitRemote[] = []
  for (const arg of args) {
    if (arg.startsWith('-')) continue
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(arg)
    if (scheme !== null) {
      let url: URL
      try {
        url = new URL(arg.replace(/^git\+/i, ''))
      } catch {
        continue
      }
      if (url.protocol === 'file:') continue
      const port = url.port === '' ? DEFAULT_PORTS[url.protocol] ?? 0 : Number(url.port)
      remotes.push({ url: arg, host: url.hostname.replace(/^\[|\]$/g, ''), port })
      continue
    }
    // scp-like: a colon before the first slash; with a user@ or a dotted host (so `HEAD:path` is not taken for one).
    const scp = /^([^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+):(?!\/\/)/.exec(arg)
    const host = scp?.[2]
    if (host !== undefined && (scp?.[1] !== undefined || host.includes('.') || host.startsWith('['))) {
      remotes.push({ url: arg, host: host.replace(/^\[|\]$/g, ''), port: 22 })
    }
  }
  return remotes
}

export interface GitGateConfig {
  /** The real git (npm's `git` setting, resolved on PATH). */
  readonly git: string
  /** The policy's `network.allow`. */
  readonly grants: readonly string[]
  /** Where refusals are appended, one JSON line each ({ url, reason }). */
  readonly refusals: string
}

/** The first remote the grants refuse, with the reason; null when git may run. */
export const refusedRemote = (args: readonly string[], grants: readonly string[]): { url: string; reason: string } | null => {
  const parsed = parseGrants(grants).grants
  for (const remote of gitRemotes(args)) {
    if (decideEgress({ host: remote.host, port: remote.port }, parsed).kind !== 'allow') {
      return { url: remote.url, reason: `git host ${remote.host} is not granted in safe-install.policy.json "network.allow"` }
    }
  }
  return null
}

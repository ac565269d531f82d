import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, createServer, type IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decideEgress, parseGrants, type HostGrant } from '../egress/host-rules.js'
import type { GitGateConfig } from './git-gate.js'

const GIT_GATE_MAIN = fileURLToPath(new URL('./git-gate-main.js', import.meta.url))

/**
 * Resolver egress: what npm itself may fetch while it resolves and installs the tree. The
 * registries configured in npm are allowed (and hosts they redirect to: tarball CDNs); anything
 * else — a dependency spec that is a remote tarball URL or a hosted-git tarball, PhantomRaven's
 * "remote dynamic dependencies" — is refused before a byte is fetched from it, unless the policy's
 * `network.allow` grants the host. Works as the `agent` option npm's fetch stack accepts: a
 * function of the URL, returning npm's own agent (proxy and noproxy kept) for allowed hosts, and
 * for a refused one an agent whose only connection is to an in-process server answering 403:
 * npm sees a refusal it does not retry, and nothing leaves the machine.
 */

const require = createRequire(import.meta.url)
const { getAgent } = require('@npmcli/agent') as { getAgent: (url: string, options: Record<string, unknown>) => unknown }

export interface ResolverRules {
  /** `host:port` of every registry in npm's config (`registry`, `@scope:registry`). */
  readonly registries: ReadonlySet<string>
  /** The policy's `network.allow`. */
  readonly grants: readonly HostGrant[]
}

export type FetchDecision = { readonly kind: 'allow' } | { readonly kind: 'deny'; readonly reason: string }

export const hostKey = (url: URL): string => `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`

/** The registries of npm's flat config: `registry` and every `@scope:registry`. Pure. */
export const registriesOf = (flat: Readonly<Record<string, unknown>>): Set<string> => {
  const keys = new Set<string>()
  for (const [key, value] of Object.entries(flat)) {
    if ((key === 'registry' || /^@[^:]+:registry$/.test(key)) && typeof value === 'string') {
      try {
        keys.add(hostKey(new URL(value)))
      } catch {
        // npm rejects a bad registry URL itself
      }
    }
  }
  return keys
}

/** Decide one fetch of the resolver (pure). */
export const decideFetch = (url: URL, rules: ResolverRules, redirected: ReadonlySet<string>): FetchDecision => {
  const key = hostKey(url)
  if (rules.registries.has(key) || redirected.has(key)) return { kind: 'allow' }
  const port = Number(key.slice(key.lastIndexOf(':') + 1))
  if (decideEgress({ host: url.hostname, port }, rules.grants).kind === 'allow') return { kind: 'allow' }
  return {
    kind: 'deny',
    reason: `${url.host} is neither a registry configured in npm nor granted in safe-install.policy.json "network.allow"`,
  }
}

export interface Refusal {
  readonly url: string
  readonly reason: string
}

export interface ResolverGate {
  /** For npm's fetch stack (`agent` option): npm's agent for an allowed URL, the refusing agent otherwise. */
  readonly agent: (url: URL) => unknown
  /** npm's `git` setting for this run: a shim that checks every remote before running the real git. */
  readonly gitShim: string
  /** Each refused URL once, in order (HTTP fetches, then git remotes). */
  readonly refusals: () => readonly Refusal[]
  readonly close: () => Promise<void>
}

type Observable = { addRequest: (req: { once(event: 'response', fn: (res: IncomingMessage) => void): void }, options: unknown) => void }

/** Start the gate; `dir` (private to this run) holds the socket of its refusal server. */
export const openResolverGate = async (options: {
  readonly flat: Readonly<Record<string, unknown>>
  readonly grants: readonly string[]
  readonly dir: string
  /** node, to run the git gate, and the real git it runs when a remote is allowed. */
  readonly node: string
  readonly git: string
}): Promise<ResolverGate> => {
  const gitConfig: GitGateConfig = { git: options.git, grants: options.grants, refusals: join(options.dir, 'git-refusals.jsonl') }
  const gitShim = join(options.dir, 'git')
  writeFileSync(join(options.dir, 'git-gate.json'), JSON.stringify(gitConfig))
  writeFileSync(gitShim, `#!/bin/sh\nexec ${shellQuote(options.node)} ${shellQuote(GIT_GATE_MAIN)} ${shellQuote(join(options.dir, 'git-gate.json'))} "$@"\n`, { mode: 0o700 })
  const rules: ResolverRules = { registries: registriesOf(options.flat), grants: parseGrants(options.grants).grants }
  const redirected = new Set<string>()
  const refusals = new Map<string, Refusal>()
  const socketPath = join(options.dir, 'resolver-refusal.sock')
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' })
      .end('safe-install: this host is neither a registry configured in npm nor allowed by safe-install.policy.json\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, resolve)
  })
  const refusing = (protocol: string): Agent => {
    const agent = new Agent({ keepAlive: false })
    Object.assign(agent, { protocol, createConnection: () => connect(socketPath) })
    return agent
  }
  const refusingAgents = { 'http:': refusing('http:'), 'https:': refusing('https:') }
  const { flat } = options
  // What make-fetch-happen would give @npmcli/agent for a request (TLS options travel with each request, not the agent).
  const agentOptions = {
    proxy: flat['httpsProxy'] ?? flat['proxy'],
    noProxy: flat['noProxy'],
    maxSockets: flat['maxSockets'],
    localAddress: flat['localAddress'],
    timeout: flat['timeout'] ?? 30_000,
  }
  const watched = new WeakSet<object>()
  /** An allowed host may redirect (a registry to its tarball CDN): its Location becomes allowed. */
  const watchRedirects = (agent: unknown, base: URL): unknown => {
    if (typeof agent !== 'object' || agent === null || watched.has(agent)) return agent
    watched.add(agent)
    const observable = agent as Observable
    const addRequest = observable.addRequest.bind(agent)
    observable.addRequest = (req, requestOptions) => {
      req.once('response', (res) => {
        const location = res.headers.location
        if (res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
          try {
            redirected.add(hostKey(new URL(location, base)))
          } catch {
            // a bad Location fails in npm itself
          }
        }
      })
      addRequest(req, requestOptions)
    }
    return agent
  }
  return {
    agent: (url) => {
      const decision = decideFetch(url, rules, redirected)
      if (decision.kind === 'deny') {
        if (!refusals.has(url.href)) refusals.set(url.href, { url: url.href, reason: decision.reason })
        return url.protocol === 'https:' ? refusingAgents['https:'] : refusingAgents['http:']
      }
      return watchRedirects(getAgent(url.href, agentOptions), url)
    },
    gitShim,
    refusals: () => {
      let lines: string[] = []
      try {
        lines = readFileSync(gitConfig.refusals, 'utf8').split('\n').filter(Boolean)
      } catch {
        // no git refusal
      }
      const git = new Map(lines.map((line) => JSON.parse(line) as Refusal).map((r) => [r.url, r]))
      return [...refusals.values(), ...[...git.values()].filter((r) => !refusals.has(r.url))]
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`

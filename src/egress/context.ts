import type { Socket } from 'node:net'
import type { EgressEvent, Finding } from '../types.js'
import { buildEgressEvent, type EgressAttempt, type EgressAttribution } from './egress-report.js'
import type { HostGrant } from './host-rules.js'
import type { CompiledNeedles } from './secret-scan.js'
import type { UpstreamProxy } from './upstream.js'

/** Resolves a name to its addresses (dns.lookup with all: true, in production). */
export type ResolveHost = (host: string) => Promise<readonly string[]>

/** What every handler of one proxy instance shares. Created per instance: no module state. */
export interface ProxyContext {
  readonly attribution: EgressAttribution
  readonly grants: readonly HostGrant[]
  /** `report`: what only the grants refuse is let through and recorded (egress-unexpected); see assess.ts. */
  readonly mode: 'enforce' | 'report'
  /** Refused whatever the grants say (host → why); see EgressProxyOptions.denied. */
  readonly denied?: ReadonlyMap<string, string>
  readonly upstream: UpstreamProxy | null
  readonly needles: CompiledNeedles
  readonly resolve: ResolveHost
  readonly connectTimeoutMs: number
  /** Register a socket the proxy opened, so close() ends it. */
  readonly adopt: (socket: Socket) => void
  /** Mark one request in flight; the returned function marks it done (close() waits for all). */
  readonly begin: () => () => void
  readonly emitEvent: (event: EgressEvent) => void
  readonly emitFinding: (finding: Finding) => void
}

/** The running tally of one attempt; `finish` emits its EgressEvent exactly once. */
export interface AttemptRecord {
  bytesOut: number
  bytesIn: number
  finish(decision: 'allowed' | 'blocked', update?: Partial<EgressAttempt>): void
}

export const openRecord = (ctx: ProxyContext, attempt: EgressAttempt): AttemptRecord => {
  const done = ctx.begin()
  let finished = false
  const record: AttemptRecord = {
    bytesOut: 0,
    bytesIn: 0,
    finish: (decision, update) => {
      if (finished) return
      finished = true
      ctx.emitEvent(buildEgressEvent(ctx.attribution, { ...attempt, ...update }, record, decision))
      done()
    },
  }
  return record
}

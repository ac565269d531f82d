import type { IncomingMessage } from 'node:http'
import type { ProxyContext } from './context.js'
import type { SecretLocation } from './egress-report.js'
import { deniedBy } from './denied-hosts.js'
import { decideEgress, normalizeHost, type EgressDecision } from './host-rules.js'
import { classifyAddress } from './ip-address.js'
import { headSecrets } from './request-head.js'
import { redactSecrets, scanForSecrets } from './secret-scan.js'

export interface Assessment {
  /** The decision; a denial's reason is already safe to show (secrets redacted, bounded). */
  readonly decision: EgressDecision
  /** The host as reports show it: canonical, secrets redacted, bounded. */
  readonly shownHost: string
  readonly secrets: { readonly names: readonly string[]; readonly where: SecretLocation }
  /**
   * Report mode only: the refusal enforce mode would have made (no grant for this host), now let
   * through; the handler records it as `egress-unexpected` once the connection is attempted.
   */
  readonly unexpected: { readonly reason: string } | null
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text)

/** A plain-HTTP path as reports show it: secrets redacted, bounded. */
export const shownPath = (ctx: ProxyContext, path: string): string => clip(redactSecrets(path, ctx.needles), 2048)

/** Fail closed: a throw inside the decider denies. */
const decideSafely = (ctx: ProxyContext, target: { host: string; port: number }): EgressDecision => {
  try {
    const why = deniedBy(ctx.denied, target.host)
    if (why !== undefined) {
      return { kind: 'deny', reason: `host ${target.host} is a known indicator of compromise (${why}); refused whatever the grants say`, category: 'indicator', host: target.host }
    }
    return decideEgress(target, ctx.grants)
  } catch {
    return { kind: 'deny', reason: 'internal error while deciding; denied', category: 'invalid', host: '(unknown)' }
  }
}

/**
 * Report mode lets through what only a missing grant refuses: a public address, or a name that
 * must then resolve to public addresses only, as under a wildcard grant (checked when dialled).
 * Every other denial (metadata, loopback, private, indicator of compromise, invalid) stands.
 */
const inMode = (ctx: ProxyContext, decision: EgressDecision): { decision: EgressDecision; unexpected: { reason: string } | null } => {
  if (ctx.mode !== 'report' || decision.kind !== 'deny' || decision.category !== 'not-granted') return { decision, unexpected: null }
  const host = normalizeHost(decision.host)
  // An address granted on another port is `not-granted` whatever it is: only a public one goes through.
  if (host.kind === 'invalid' || (host.kind === 'address' && classifyAddress(host.ip).category !== 'public')) return { decision, unexpected: null }
  const target = host.kind
  return {
    decision: { kind: 'allow', rule: '--mode report', host: decision.host, via: 'report', target },
    unexpected: { reason: decision.reason },
  }
}

/**
 * Decide a request and scan its head. The host is also scanned with its dots removed, so a
 * secret split across DNS labels (`<hex1>.<hex2>.exfil.test`) is found. Whatever reports show of
 * the host is redacted before it is shortened, and hidden whole when a secret hides in it in a form
 * redaction cannot cut out (split across labels, or lowercased by normalisation).
 */
export const assess = (ctx: ProxyContext, req: IncomingMessage, target: { host: string; port: number }): Assessment => {
  const { decision, unexpected: raw } = inMode(ctx, decideSafely(ctx, target))
  const head = headSecrets(req, ctx.needles)
  const inLabels = scanForSecrets(target.host.replace(/\./g, ''), ctx.needles)
  const names = [...new Set([...head.names, ...inLabels])]
  const secrets = { names, where: head.names.length === 0 && inLabels.length > 0 ? 'request line' as const : head.where }
  const tainted = inLabels.length > 0 || scanForSecrets(target.host, ctx.needles).length > 0
  const redacted = redactSecrets(decision.host, ctx.needles)
  const hidden = tainted && (redacted === decision.host || scanForSecrets(redacted.replace(/\./g, ''), ctx.needles).length > 0)
  const shownHost = clip(hidden ? '[redacted]' : redacted, 255)
  const shownReason = (text: string): string => clip(redactSecrets(text.split(decision.host).join(shownHost), ctx.needles), 400)
  if (decision.kind === 'allow') return { decision, shownHost, secrets, unexpected: raw === null ? null : { reason: shownReason(raw.reason) } }
  return { decision: { ...decision, reason: shownReason(decision.reason), host: shownHost }, shownHost, secrets, unexpected: null }
}

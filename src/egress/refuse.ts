import type { ProxyContext } from './context.js'
import { buildBlockedFinding, buildSecretFinding, type EgressAttempt, type SecretLocation } from './egress-report.js'
import type { EgressDecision } from './host-rules.js'

/**
 * Emit the findings of a refused attempt (a denied host, secrets in what would be forwarded, or
 * both) and return the one-line reason to answer with.
 */
export const refuse = (
  ctx: ProxyContext,
  attempt: EgressAttempt,
  denial: Extract<EgressDecision, { kind: 'deny' }> | null,
  secrets: { readonly names: readonly string[]; readonly where: SecretLocation },
): string => {
  if (denial !== null) ctx.emitFinding(buildBlockedFinding(ctx.attribution, attempt, denial))
  if (secrets.names.length === 0) return denial?.reason ?? 'refused'
  ctx.emitFinding(buildSecretFinding(ctx.attribution, attempt, secrets.names, secrets.where))
  return `the request carries ${secrets.names.join(', ')} (in the ${secrets.where}); secrets never leave the sandbox`
}

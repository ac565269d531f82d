/** EgressEvent and Finding records of the proxy (pure). Messages name package, hook and host; never a secret value. */
import type { EgressEvent, Finding } from '../types.js'
import type { DenyCategory } from './host-rules.js'

/** Who is on the other side of a listener: fixed when the proxy starts, never taken from a request. */
export interface EgressAttribution {
  /** `location` (node_modules/x) places findings on the lockfile line; not part of egress events. */
  readonly package: { readonly name: string; readonly version: string; readonly location?: string }
  readonly event: string
}

/** One connection attempt, as shown in reports (host already redacted). */
export interface EgressAttempt {
  readonly protocol: 'http' | 'https' | 'tcp' | 'dns'
  readonly host: string
  readonly port: number
  readonly method: string
  /** Plain HTTP only. */
  readonly path?: string
}

export type SecretLocation = 'request line' | 'headers' | 'body' | 'tunnel' | 'DNS name'

const label = (a: EgressAttribution): string =>
  `${a.event} of ${a.package.name}${a.package.version === '' ? '' : `@${a.package.version}`}`

const hostPort = (attempt: EgressAttempt): string =>
  `${attempt.host.includes(':') ? `[${attempt.host}]` : attempt.host}:${attempt.port}`

const facts = (attempt: EgressAttempt): Record<string, unknown> => ({
  host: attempt.host, port: attempt.port, protocol: attempt.protocol, method: attempt.method,
  ...(attempt.path === undefined ? {} : { path: attempt.path }),
})

/** The grant a user would add: the host, with the port unless it is 80 or 443. */
export const grantTextFor = (attempt: EgressAttempt): string => {
  const host = attempt.host.includes(':') ? `[${attempt.host}]` : attempt.host
  return attempt.port === 80 || attempt.port === 443 ? host : `${host}:${attempt.port}`
}

export const buildEgressEvent = (
  attribution: EgressAttribution,
  attempt: EgressAttempt,
  counts: { readonly bytesOut: number; readonly bytesIn: number },
  decision: 'allowed' | 'blocked',
): EgressEvent => ({
  package: { name: attribution.package.name, version: attribution.package.version },
  event: attribution.event,
  protocol: attempt.protocol,
  host: attempt.host,
  port: attempt.port,
  method: attempt.method,
  ...(attempt.path === undefined ? {} : { path: attempt.path }),
  bytesOut: counts.bytesOut,
  bytesIn: counts.bytesIn,
  decision,
})

/**
 * `metadata-endpoint` for cloud metadata, `egress-blocked` for everything else the grants refuse.
 * The evidence names the denial's category (`not-granted` is the only one a grant can lift), and a
 * fix only where a grant would help: never for an indicator of compromise or an invalid target.
 */
export const buildBlockedFinding = (
  attribution: EgressAttribution,
  attempt: EgressAttempt,
  denial: { readonly reason: string; readonly category: DenyCategory },
): Finding => {
  const base = { severity: 'error' as const, action: 'blocked' as const, package: { ...attribution.package }, event: attribution.event }
  if (denial.category === 'metadata') {
    return {
      ...base, rule: 'metadata-endpoint',
      message: `${label(attribution)} tried to reach the cloud metadata endpoint ${hostPort(attempt)}, where instance credentials live; the connection was refused.`,
      evidence: { ...facts(attempt), reason: denial.reason },
    }
  }
  const fix = denial.category === 'invalid' || denial.category === 'indicator' ? {}
    : { fix: `grant it in safe-install.policy.json: "packages": { "${attribution.package.name}": { "network": ["${grantTextFor(attempt)}"] } }` }
  return {
    ...base, rule: 'egress-blocked',
    message: `${label(attribution)} was refused a connection to ${hostPort(attempt)}: ${denial.reason}.`,
    evidence: { ...facts(attempt), reason: denial.reason, category: denial.category, ...fix },
  }
}

/**
 * `egress-unexpected` (report mode): a connection the grants do not allow, let through and
 * recorded because the run only reports. Enforce mode would have refused it with `egress-blocked`.
 */
export const buildUnexpectedFinding = (attribution: EgressAttribution, attempt: EgressAttempt, reason: string): Finding => ({
  rule: 'egress-unexpected', severity: 'error', action: 'reported',
  package: { ...attribution.package }, event: attribution.event,
  message: `${label(attribution)} reached ${hostPort(attempt)}, which enforce mode would refuse (${reason}); report mode let it through.`,
  evidence: {
    ...facts(attempt), reason,
    fix: `if the package needs it, grant it in safe-install.policy.json: "packages": { "${attribution.package.name}": { "network": ["${grantTextFor(attempt)}"] } }`,
  },
})

/**
 * A secret seen leaving. Requests are refused before the secret leaves (`blocked`); in a tunnel
 * the data is only watched, so the tunnel is cut but part of it may have left (`reported`).
 */
export const buildSecretFinding = (
  attribution: EgressAttribution,
  attempt: EgressAttempt,
  secrets: readonly string[],
  where: SecretLocation,
): Finding => ({
  rule: 'secret-exfiltration', severity: 'error', action: where === 'tunnel' ? 'reported' : 'blocked',
  package: { ...attribution.package }, event: attribution.event,
  message: where === 'tunnel'
    ? `${label(attribution)} sent ${secrets.join(', ')} through a tunnel to ${hostPort(attempt)}; the tunnel was cut, but part of the data may already have left.`
    : where === 'DNS name'
      ? `${label(attribution)} looked up a DNS name carrying ${secrets.join(', ')} (${attempt.host}); the query was answered inside the sandbox and never left it.`
      : `${label(attribution)} tried to send ${secrets.join(', ')} to ${hostPort(attempt)} (in the ${where}); the request was refused.`,
  evidence: { ...facts(attempt), secrets: [...secrets], where },
})

/** A name the hook looked up itself that it may not reach: worth a look (DNS tunnelling, hard-coded hosts). */
export const buildDnsFinding = (attribution: EgressAttribution, query: { readonly name: string; readonly type: string; readonly answer: string | null }): Finding => ({
  rule: 'dns-query', severity: 'warning', action: 'reported',
  package: { ...attribution.package }, event: attribution.event,
  message: `${label(attribution)} looked up ${query.name} (${query.type}) itself, a host it is not granted; the sandbox's DNS stub answered `
    + `${query.answer === null ? 'with no address' : `with ${query.answer}`}, so nothing left, and any connection that follows is decided by the proxy.`,
  evidence: { name: query.name, type: query.type, answer: query.answer },
})

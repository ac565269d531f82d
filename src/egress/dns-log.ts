import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DnsLogEntry } from '../sandbox/capture/protocol.js'
import type { ProxyContext } from './context.js'
import { buildDnsFinding, buildEgressEvent, buildSecretFinding, type EgressAttempt } from './egress-report.js'
import { decideEgress } from './host-rules.js'
import { redactSecrets, scanForSecrets } from './secret-scan.js'

const MAX_BODY = 64 * 1024
/** Per hook: a DNS-tunnelling loop must not grow the report without bound. */
const MAX_NAMES = 500

const readEntries = async (req: IncomingMessage): Promise<DnsLogEntry[]> => {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > MAX_BODY) break
  }
  const entries: DnsLogEntry[] = []
  for (const line of body.slice(0, MAX_BODY).split('\n')) {
    try {
      const value = JSON.parse(line) as Partial<DnsLogEntry>
      if (typeof value.name === 'string' && typeof value.type === 'string' && value.name.length <= 1024) {
        entries.push({ name: value.name, type: value.type.slice(0, 16), answer: typeof value.answer === 'string' ? value.answer : null })
      }
    } catch {
      // not a log line: ignored
    }
  }
  return entries
}

const granted = (ctx: ProxyContext, name: string): boolean =>
  [443, 80].some((port) => {
    try {
      return decideEgress({ host: name, port }, ctx.grants).kind === 'allow'
    } catch {
      return false
    }
  })

/**
 * The DNS queries the in-namespace stub answered for this hook (it reports each one before it
 * answers). Each (name, type) becomes one `dns` egress event: `allowed` when the hook may reach
 * the name, else `blocked` (the query itself never leaves the sandbox). A name carrying a canary
 * or a withheld secret is `secret-exfiltration`; any other name the hook is not granted is a
 * `dns-query` finding, once per name.
 */
export const handleDnsLog = async (ctx: ProxyContext, seen: Set<string>, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const done = ctx.begin()
  try {
    for (const entry of await readEntries(req)) {
      const name = entry.name.toLowerCase()
      const key = `${name} ${entry.type}`
      if (seen.has(key) || seen.size >= MAX_NAMES) continue
      seen.add(key)
      const secrets = [...new Set([...scanForSecrets(entry.name, ctx.needles), ...scanForSecrets(entry.name.replace(/\./g, ''), ctx.needles)])]
      const redacted = redactSecrets(name, ctx.needles)
      const shown = secrets.length > 0 && redacted === name ? '[redacted]' : redacted.slice(0, 255)
      const allowed = secrets.length === 0 && granted(ctx, name)
      const attempt: EgressAttempt = { protocol: 'dns', host: shown, port: 53, method: entry.type }
      ctx.emitEvent(buildEgressEvent(ctx.attribution, attempt, { bytesOut: Buffer.byteLength(entry.name), bytesIn: 0 }, allowed ? 'allowed' : 'blocked'))
      if (secrets.length > 0) ctx.emitFinding(buildSecretFinding(ctx.attribution, attempt, secrets, 'DNS name'))
      else if (!allowed && !seen.has(`finding ${name}`)) {
        seen.add(`finding ${name}`)
        ctx.emitFinding(buildDnsFinding(ctx.attribution, { name: shown, type: entry.type, answer: entry.answer }))
      }
    }
    res.writeHead(204).end()
  } finally {
    done()
  }
}

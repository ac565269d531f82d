import type { StaticRules } from './catalogue.js'
import type { CommandHit } from './command-analysis.js'
import { matchText } from './text-match.js'

/** What one string (a literal, a folded expression, a command, a line) gives away, before file-level context. */
export interface TextScan {
  readonly hits: CommandHit[]
  /** Agent flags that count only if the file also names an AI agent program. */
  readonly agentFlags: string[]
  /** The string names the GitHub API (static-github-api when the file also reads a GitHub token). */
  readonly githubApi: boolean
}

const LOOPBACK = /^(?:127\.|0\.0\.0\.0$)/

const isDigit = (code: number): boolean => code >= 48 && code <= 57

/** `scheme://a.b.c.d` hosts in the text (a linear scan, no regex over the text). */
const rawIpHosts = (text: string): string[] => {
  const hosts: string[] = []
  for (let at = text.indexOf('://'); at !== -1 && hosts.length < 5; at = text.indexOf('://', at + 3)) {
    let end = at + 3
    while (end < text.length && end - at < 19 && (isDigit(text.charCodeAt(end)) || text[end] === '.')) end++
    const host = text.slice(at + 3, end)
    const after = text[end]
    const parts = host.split('.')
    const ok = parts.length === 4 && parts.every((p) => p !== '' && p.length <= 3 && Number(p) <= 255) && (after === undefined || ':/?#\'"` )'.includes(after))
    if (ok && !LOOPBACK.test(host)) hosts.push(host)
  }
  return hosts
}

const quote = (text: string): string => (text.length > 60 ? `${text.slice(0, 59)}…` : text)

/**
 * Text rules over one string (pure): exfiltration and metadata endpoints, raw-IP URLs, Bun/Deno
 * installers, secret scanners, AI-agent permission flags, GitHub repository creation and workflow
 * paths. Plain `indexOf` matching only (see text-match.ts).
 */
export const scanText = (text: string, rules: StaticRules): TextScan => {
  const hits: CommandHit[] = []
  const agentFlags: string[] = []
  const metadata = new Set<string>()
  for (const { pattern } of matchText(text, rules.endpoints)) {
    const entry = rules.file.endpoints[pattern.tag]
    if (entry === undefined) continue
    if (entry.rule === 'static-metadata-endpoint') metadata.add(pattern.text)
    hits.push({
      rule: entry.rule, severity: 'error', match: pattern.text,
      message: entry.rule === 'static-metadata-endpoint'
        ? `Contacts ${pattern.text}, ${entry.description}: an install script never needs it. Do not approve this package.`
        : `Contains the address ${pattern.text}, ${entry.description}. No install script needs one: do not approve this package, and report it.`,
    })
  }
  for (const host of rawIpHosts(text)) {
    if (metadata.has(host)) continue
    hits.push({ rule: 'static-exfil-endpoint', severity: 'error', match: host, message: `Contains a URL with a raw IP address (${host}): real downloads come from named hosts, payloads report to raw IPs. Do not approve it until you know whose server this is.` })
  }
  for (const { pattern } of matchText(text, rules.runtimeInstallers)) {
    const entry = rules.file.runtimeInstallers[pattern.tag]
    if (entry !== undefined) hits.push({ rule: 'static-runtime-installer', severity: 'warning', match: pattern.text, message: `Mentions "${pattern.text}": it ${entry.description}. Approve only if the package really needs that runtime.` })
  }
  for (const { pattern } of matchText(text, rules.secretScanners)) {
    hits.push({ rule: 'static-secret-scanner', severity: 'error', match: pattern.text, message: `Mentions ${pattern.text}, ${rules.file.secretScanners.description} (Shai-Hulud ran TruffleHog over $HOME). Do not approve this package.` })
  }
  for (const { pattern } of matchText(text, rules.aiFlags)) {
    if (pattern.tag === 1) agentFlags.push(pattern.text)
    else hits.push({ rule: 'static-ai-agent', severity: 'error', match: pattern.text, message: `Passes ${pattern.text} to an AI coding agent: ${rules.file.aiAgents.description}. Do not approve this package.` })
  }
  for (const { pattern } of matchText(text, rules.github.repoCreation)) {
    hits.push({ rule: 'static-github-api', severity: 'error', match: pattern.text, message: `Creates a GitHub repository through the API ("${quote(pattern.text)}"): worms publish stolen secrets in new repositories under the victim's account. Do not approve this package.` })
  }
  for (const { pattern } of matchText(text, rules.github.workflows)) {
    hits.push({ rule: 'static-workflow-write', severity: 'error', match: pattern.text, message: `Refers to ${pattern.text}: a workflow planted there runs with the repository's secrets on the next push (Shai-Hulud, @bitwarden/cli). Do not approve this package.` })
  }
  return { hits, agentFlags, githubApi: matchText(text, rules.github.api).length > 0 }
}

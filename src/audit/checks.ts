import { isAbsolute, relative, resolve } from 'node:path'
import scriptAllowed from '@npmcli/arborist/lib/script-allowed.js'
import type { AllowScripts } from '../policy/allow-scripts.js'
import type { Finding, Severity } from '../types.js'
import type { LockEntry, Lockfile } from './lockfile/index.js'
import { lookup, type MalwareDatabase } from './malware-db/index.js'

const { isScriptAllowed } = scriptAllowed

/**
 * The lockfile checks of `safe-install audit` (DESIGN.md audit rule ids), pure: each finding is
 * located at the entry's line in the lockfile, names the package as the lockfile does, and says
 * what to do. Nothing is fetched and nothing is run.
 */

export interface AuditContext {
  /** The lockfile as the user should see it in messages and SARIF (relative to the project). */
  readonly lockfilePath: string
  readonly projectDir: string
  /** Registry URLs of npm's configuration (`registry`, every `@scope:registry`). */
  readonly registries: readonly string[]
  /** More hosts the user trusts (`--allowed-host`), `host` or `host:port`. */
  readonly allowedHosts: readonly string[]
  readonly allowScripts: AllowScripts
  /** The malicious-package database, when one is given or imported. */
  readonly malware?: MalwareDatabase | undefined
}

type Check = (entry: LockEntry, ctx: AuditContext, report: Report) => void
type Report = (rule: string, severity: Severity, message: string, evidence?: Record<string, unknown>) => void

const label = (entry: LockEntry): string => `${entry.realName ?? entry.name}${entry.version === undefined ? '' : `@${entry.version}`}`

const urlOf = (resolved: string | undefined): URL | undefined => {
  if (resolved === undefined || !/^[a-z][a-z0-9+.-]*:\/\//i.test(resolved)) return undefined
  try {
    return new URL(resolved)
  } catch {
    return undefined
  }
}

/** An allowScripts verdict from npm's own matcher, with a stand-in for the arborist node. */
const approvalOf = (entry: LockEntry, allow: AllowScripts): 'approved' | 'denied' | 'unreviewed' => {
  const name = entry.realName ?? entry.name
  // yarn classic appends the tarball's sha1 as a URL fragment; npm's matcher reads the bare tarball URL.
  // A registry entry without a tarball URL (omitted by npm, a Berry locator `x@npm:1.0.0`, pnpm
  // without `tarball`) has no URL for the matcher to read.
  const registryUrl = entry.source === 'registry' && entry.resolved !== undefined && /^https?:\/\//i.test(entry.resolved)
    ? entry.resolved.replace(/#.*$/, '') : undefined
  const resolved = entry.source === 'registry' ? registryUrl : entry.resolved
  const node = {
    resolved: resolved ?? null,
    isRegistryDependency: entry.source === 'registry',
    inBundle: entry.inBundle === true,
    // Without a resolved URL npm takes the name from the spec that asked for it; the lockfile's
    // key stands in for it, the version stays unverifiable.
    edgesIn: resolved === undefined && entry.source === 'registry' ? [{ name, spec: entry.version ?? '*' }] : [],
    linksIn: new Set(),
    version: entry.version ?? '',
    path: '', realpath: '',
  }
  const verdict = isScriptAllowed(node as never, allow.entries)
  return verdict === true ? 'approved' : verdict === false ? 'denied' : 'unreviewed'
}

const installScript: Check = (entry, ctx, report) => {
  if (entry.hasInstallScript !== true) return
  if (entry.inBundle === true) {
    report('install-script', 'note', `${label(entry)} has an install script but is bundled inside its parent, so npm never runs it.`, { approval: 'bundled' })
    return
  }
  const approval = approvalOf(entry, ctx.allowScripts)
  // `policy approve` matches the name npm shows: the registry identity, else the folder name.
  const name = entry.source === 'registry' ? entry.realName ?? entry.name : entry.name
  switch (approval) {
    case 'approved':
      report('install-script', 'note', `${label(entry)} has an install script, approved by allowScripts: it will run (in the sandbox with safe-install).`, { approval })
      return
    case 'denied':
      report('install-script', 'note', `${label(entry)} has an install script, denied by allowScripts: it will not run.`, { approval })
      return
    case 'unreviewed':
      report('install-script', 'warning', `${label(entry)} has an install script that nobody has reviewed: npm 11 runs it with a warning (or refuses it with --strict-allow-scripts), safe-install runs it only in its sandbox (--unreviewed). Review it, then approve or deny it.`,
        { approval, fix: `safe-install policy approve ${name}` })
  }
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|::1)$/i

const insecureProtocol: Check = (entry, _ctx, report) => {
  const resolved = entry.resolved ?? ''
  const scheme = /^(?:git\+)?(http|git):\/\//i.exec(resolved)?.[1]?.toLowerCase()
  if (scheme === undefined) return
  // A registry on this machine (a local mirror, a test registry): the bytes never cross a network.
  const url = urlOf(resolved)
  if (url !== undefined && LOOPBACK.test(hostOf(url))) return
  report('lockfile-insecure-protocol', 'error',
    `${label(entry)} is fetched over ${scheme}://, which anyone on the network path can tamper with: switch it to https (or git+ssh) and regenerate the lockfile.`,
    { resolved })
}

const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[|\]$/g, '')

const trustedCache = new WeakMap<AuditContext, ReadonlySet<string>>()

/** The registries' `host:port` and `host`, and --allowed-host values: computed once per audit. */
const trustedHosts = (ctx: AuditContext): ReadonlySet<string> => {
  let trusted = trustedCache.get(ctx)
  if (trusted === undefined) {
    trusted = new Set([...ctx.registries.flatMap((r) => {
      const u = urlOf(r)
      return u === undefined ? [] : [`${hostOf(u)}:${u.port || (u.protocol === 'http:' ? '80' : '443')}`, hostOf(u)]
    }), ...ctx.allowedHosts.map((h) => h.toLowerCase())])
    trustedCache.set(ctx, trusted)
  }
  return trusted
}

const untrustedHost: Check = (entry, ctx, report) => {
  if (entry.source !== 'registry' && entry.source !== 'remote-tarball') return
  const url = urlOf(entry.resolved)
  if (url === undefined || !/^https?:$/.test(url.protocol)) return
  const trusted = trustedHosts(ctx)
  const host = hostOf(url)
  const port = url.port || (url.protocol === 'http:' ? '80' : '443')
  if (trusted.has(`${host}:${port}`) || trusted.has(host)) return
  report('lockfile-untrusted-host', 'error',
    `${label(entry)} resolves to ${host}${url.port === '' ? '' : `:${url.port}`}, which is not a registry of your npm configuration: restore the lockfile from a trusted commit, or pass --allowed-host ${host} if the host is yours.`,
    { resolved: entry.resolved, host })
}

const WEAK = /^(?:sha1|md5)-/i

const integrity: Check = (entry, _ctx, report) => {
  if (entry.source !== 'registry' && entry.source !== 'remote-tarball') return
  if (entry.inBundle === true) return
  const values = (entry.integrity ?? '').split(/\s+/).filter((v) => v !== '')
  if (values.length === 0) {
    // yarn berry keeps a checksum of its own archive instead of an SRI: present is fine.
    if (entry.checksum !== undefined) return
    report('lockfile-missing-integrity', entry.source === 'remote-tarball' ? 'error' : 'warning',
      `${label(entry)} has no integrity hash, so nothing checks that the tarball is the one that was locked: remove the entry and reinstall so that a sha512 is recorded.`,
      { resolved: entry.resolved })
    return
  }
  if (values.every((v) => WEAK.test(v))) {
    report('lockfile-weak-integrity', 'warning',
      `${label(entry)} is protected only by ${values[0]?.split('-')[0] ?? 'a weak hash'}: remove the entry and reinstall so that a sha512 is recorded.`,
      { integrity: entry.integrity })
  }
}

const nameMismatch: Check = (entry, _ctx, report) => {
  const claimed = entry.realName ?? entry.name
  if (entry.resolvedName === undefined || entry.resolvedName === claimed) return
  report('lockfile-name-mismatch', 'error',
    `${entry.key} says ${claimed} but its resolved URL fetches ${entry.resolvedName}: unless that is an alias you declared (npm:${entry.resolvedName}@…), restore the lockfile from a trusted commit.`,
    { resolved: entry.resolved, resolvedName: entry.resolvedName })
}

const FULL_COMMIT = /#[0-9a-f]{40}$/i

const gitSource: Check = (entry, _ctx, report) => {
  if (entry.source !== 'git') return
  const pinned = FULL_COMMIT.test(entry.resolved ?? '')
  report('lockfile-git-source', 'warning',
    `${label(entry)} is installed from git (${entry.resolved ?? 'no URL recorded'}), outside the registry${pinned ? '' : ' and not pinned to a full commit'}; its prepare script runs at install time. Prefer a published version.`,
    { resolved: entry.resolved, pinned })
}

const remoteTarball: Check = (entry, _ctx, report) => {
  if (entry.source !== 'remote-tarball') return
  report('lockfile-remote-tarball', 'warning',
    `${label(entry)} is installed from ${entry.resolved ?? 'a URL'}, not a registry: what that address serves can change. Prefer a published version.`,
    { resolved: entry.resolved })
}

const outside = (projectDir: string, target: string): boolean => {
  const rel = relative(projectDir, resolve(projectDir, target))
  return rel === '..' || rel.startsWith('../') || rel.startsWith('..\\') || isAbsolute(rel)
}

const pathTraversal: Check = (entry, ctx, report) => {
  const where = entry.location ?? entry.key
  if (entry.location !== undefined && (isAbsolute(where) || /(^|[\\/])\.\.([\\/]|$)/.test(where) || /^[a-z]:/i.test(where))) {
    report('lockfile-path-traversal', 'error',
      `${entry.key} would be installed at ${where}, outside node_modules; npm never writes such a key: restore the lockfile from a trusted commit.`,
      { location: where })
    return
  }
  if (entry.source !== 'file' && entry.source !== 'link') return
  const target = (entry.resolved ?? '').replace(/^(?:file|link|portal):/, '')
  if (target === '' || !outside(ctx.projectDir, target)) return
  report('lockfile-path-traversal', 'error',
    `${label(entry)} is taken from ${target}, outside the project: a clone on another machine gets whatever is there. Vendor it into the project or publish it.`,
    { resolved: entry.resolved, target })
}

const duplicate: Check = (entry, _ctx, report) => {
  if (entry.duplicate !== true) return
  report('lockfile-duplicate', 'error',
    `${entry.key} appears more than once in the lockfile; npm reads only the last, so a reviewer may approve the wrong one: restore the lockfile from a trusted commit or regenerate it.`)
}

const knownMalicious: Check = (entry, ctx, report) => {
  if (ctx.malware === undefined || entry.version === undefined) return
  // The registry identity: the name the resolved URL fetches, else the lockfile's.
  const name = entry.resolvedName ?? entry.realName ?? entry.name
  for (const match of lookup(ctx.malware, name, entry.version)) {
    report('known-malicious', 'error',
      `${name}@${entry.version} is listed as malicious (${match.id}: ${match.summary}): remove it, regenerate the lockfile, and rotate every credential of machines that installed it.`,
      { id: match.id, aliases: match.aliases, summary: match.summary })
  }
}

const CHECKS: readonly Check[] = [knownMalicious, installScript, insecureProtocol, untrustedHost, integrity, nameMismatch, gitSource, remoteTarball, pathTraversal, duplicate]

/** Every finding of the lockfile, in lockfile order. */
export const auditLockfile = (lock: Lockfile, ctx: AuditContext): Finding[] => {
  const findings: Finding[] = []
  for (const entry of lock.entries) {
    const pkg = { name: entry.realName ?? entry.name, version: entry.version ?? '', location: entry.location ?? entry.key }
    const report: Report = (rule, severity, message, evidence = {}) => {
      findings.push({
        rule, severity, package: pkg, action: 'reported', message,
        evidence: { lockfile: ctx.lockfilePath, line: entry.line, column: entry.column, key: entry.key, ...evidence },
      })
    }
    for (const check of CHECKS) check(entry, ctx, report)
  }
  return findings
}

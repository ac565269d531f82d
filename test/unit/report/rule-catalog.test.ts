import { describe, expect, it } from 'vitest'
import { findRule, ruleCatalog } from '../../../src/report/rule-catalog.js'

/** The rule ids of DESIGN.md "Rule ids": the catalogue must describe exactly these. */
const DESIGN_RULE_IDS = [
  'credential-read', 'secret-exfiltration', 'egress-blocked', 'egress-unexpected', 'direct-connection',
  'dns-query', 'metadata-endpoint', 'write-outside-package', 'persistence', 'package-tamper',
  'escaped-process', 'process-spawn', 'script-timeout', 'script-failed', 'unreviewed-script', 'script-changed', 'approval-carried',
  'install-script', 'lockfile-insecure-protocol', 'lockfile-untrusted-host', 'lockfile-missing-integrity',
  'lockfile-weak-integrity', 'lockfile-name-mismatch', 'lockfile-git-source', 'lockfile-remote-tarball',
  'lockfile-path-traversal', 'lockfile-duplicate', 'known-malicious', 'static-*',
]

describe('ruleCatalog', () => {
  it('describes every rule id of DESIGN.md and nothing else', () => {
    expect(Object.keys(ruleCatalog).sort()).toEqual([...DESIGN_RULE_IDS].sort())
  })

  it('has a one-line title and a help paragraph for each rule', () => {
    for (const [id, rule] of Object.entries(ruleCatalog)) {
      expect(rule.title, id).toMatch(/^[A-Z][^\n]{10,100}[^.]$/)
      expect(rule.help.length, id).toBeGreaterThan(80)
      expect(rule.help, id).not.toContain('\n')
    }
  })

  it('falls back to the static-* family for static-<name> ids only', () => {
    expect(findRule('static-curl-pipe-shell')).toBe(ruleCatalog['static-*'])
    expect(findRule('credential-read')).toBe(ruleCatalog['credential-read'])
    expect(findRule('no-such-rule')).toBeUndefined()
  })
})

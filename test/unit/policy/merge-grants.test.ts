import { describe, expect, it } from 'vitest'
import { unifiedDiff } from '../../../src/cli/line-diff.js'
import type { LearntGrant } from '../../../src/policy/learn.js'
import { policyFromText } from '../../../src/policy/load-policy.js'
import { mergeGrants, POLICY_SCHEMA_REF } from '../../../src/policy/merge-grants.js'

const grant = (key: string, over: Partial<LearntGrant> = {}): LearntGrant => ({ key, network: [], write: [], because: [], ...over })

const CDN = grant('cdn-pkg', { network: ['dl.example.test', 'bin.example.test:8443'], write: ['~/.cache/cdn-pkg'] })
const SLOW = grant('slow-build', { timeoutSec: 1200 })

describe('merging learnt grants into safe-install.policy.json', () => {
  it('creates the file with $schema and extends default', () => {
    const text = mergeGrants(null, [CDN, SLOW])
    expect(text).toBe(`{
  "$schema": "${POLICY_SCHEMA_REF}",
  "extends": "default",
  "packages": {
    "cdn-pkg": {
      "network": [
        "dl.example.test",
        "bin.example.test:8443"
      ],
      "write": [
        "~/.cache/cdn-pkg"
      ]
    },
    "slow-build": {
      "timeoutSec": 1200
    }
  }
}
`)
    expect(policyFromText(text, 'safe-install.policy.json').packages['cdn-pkg']?.network).toEqual(['dl.example.test', 'bin.example.test:8443'])
  })

  it('is idempotent: merging the same grants again changes nothing', () => {
    const once = mergeGrants(null, [CDN, SLOW])
    expect(mergeGrants(once, [CDN, SLOW])).toBe(once)
  })

  it('keeps an existing file\'s formatting, key order and other entries, appending in kind', () => {
    const existing = [
      '{',
      '\t"unreviewed": "skip",',
      '\t"packages": {',
      '\t\t"cdn-pkg": { "network": ["old.example.test"], "env": ["CDN_*"] },',
      '\t\t"esbuild@0.25.12": { "pin": "sha256-abc=" }',
      '\t},',
      '\t"timeoutSec": 900',
      '}',
      '',
    ].join('\r\n')
    const merged = mergeGrants(existing, [CDN, SLOW])
    expect(merged).toBe([
      '{',
      '\t"unreviewed": "skip",',
      '\t"packages": {',
      '\t\t"cdn-pkg": { "network": ["old.example.test", "dl.example.test", "bin.example.test:8443"], "env": ["CDN_*"], "write": ["~/.cache/cdn-pkg"] },',
      '\t\t"esbuild@0.25.12": { "pin": "sha256-abc=" },',
      '\t\t"slow-build": {',
      '\t\t\t"timeoutSec": 1200',
      '\t\t}',
      '\t},',
      '\t"timeoutSec": 900',
      '}',
      '',
    ].join('\r\n'))
    expect(mergeGrants(merged, [CDN, SLOW])).toBe(merged)
  })

  it('appends to multi-line lists, adds packages when the file has none, and raises a timeout only upwards', () => {
    const existing = '{\n    "extends": "strict",\n    "packages": {\n        "slow-build": {\n            "timeoutSec": 300,\n            "write": [\n                "/opt/a"\n            ]\n        }\n    }\n}\n'
    const merged = mergeGrants(existing, [grant('slow-build', { timeoutSec: 1200, write: ['/opt/b'] })])
    expect(merged).toBe('{\n    "extends": "strict",\n    "packages": {\n        "slow-build": {\n            "timeoutSec": 1200,\n            "write": [\n                "/opt/a",\n                "/opt/b"\n            ]\n        }\n    }\n}\n')
    expect(mergeGrants(merged, [grant('slow-build', { timeoutSec: 600 })])).toBe(merged)
    const bare = mergeGrants('{ "extends": "default" }\n', [SLOW])
    expect(JSON.parse(bare)).toEqual({ extends: 'default', packages: { 'slow-build': { timeoutSec: 1200 } } })
  })

  it('shows the change as a unified diff (what --dry-run prints)', () => {
    const before = '{\n  "extends": "default",\n  "packages": {}\n}\n'
    const after = mergeGrants(before, [grant('cdn-pkg', { network: ['dl.example.test'] })])
    expect(unifiedDiff(before, after, { before: 'p.json', after: 'p.json' })).toBe([
      '--- p.json',
      '+++ p.json',
      '@@ -1,4 +1,10 @@',
      ' {',
      '   "extends": "default",',
      '-  "packages": {}',
      '+  "packages": {',
      '+    "cdn-pkg": {',
      '+      "network": [',
      '+        "dl.example.test"',
      '+      ]',
      '+    }',
      '+  }',
      ' }',
      '',
    ].join('\n'))
    expect(unifiedDiff(before, before, { before: 'p.json', after: 'p.json' })).toBe('')
    expect(unifiedDiff(null, '{}\n', { before: 'p.json', after: 'p.json' })).toBe('--- /dev/null\n+++ p.json\n@@ -0,0 +1,1 @@\n+{}\n')
  })
})

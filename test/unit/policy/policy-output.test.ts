import { describe, expect, it } from 'vitest'
import { changeLine, renderDiff, renderPolicyText } from '../../../src/cli/policy-output.js'
import type { PolicyResult } from '../../../src/policy/run-policy.js'

const result = (over: Partial<PolicyResult>): PolicyResult => ({
  action: 'approve', file: '/p/package.json', dryRun: false, written: true, tree: 'node_modules', changes: [], warnings: [],
  unmapped: [], kept: [], imported: [], before: '{}\n', after: '{}\n', ...over,
})

describe('policy output', () => {
  it('prints a line per change, naming the file', () => {
    expect(changeLine({ action: 'approved', key: 'esbuild@0.25.12', value: true })).toBe('approved esbuild@0.25.12')
    expect(changeLine({ action: 'denied', key: 'evil', value: false, from: 'package.json trustedDependencies[0]', note: 'n' })).toBe('denied evil (from package.json trustedDependencies[0]): n')
    expect(changeLine({ action: 'removed', key: 'left-pad@1.0.0', value: true, reason: 'not-installed' })).toBe('removed stale entry left-pad@1.0.0 (package not installed)')
    expect(changeLine({ action: 'approved', key: 'x\u001b[2Jy', value: true })).toBe('approved xy')
    const text = renderPolicyText(result({ changes: [{ action: 'approved', key: 'a', value: true }], after: '{"allowScripts":{"a":true}}\n' }))
    expect(text).toBe('approved a\nsafe-install: wrote 1 change to /p/package.json\n')
    expect(renderPolicyText(result({}))).toBe('safe-install: nothing to change; /p/package.json unchanged\n')
  })

  it('--dry-run shows the diff and what could not be mapped', () => {
    const text = renderPolicyText(result({
      action: 'import', dryRun: true, written: false, changes: [{ action: 'approved', key: 'a', value: true }],
      unmapped: [{ tool: 'pnpm', from: 'pnpm-workspace.yaml allowBuilds["@types/*"]', reason: 'a name pattern' }],
      before: '{\n  "name": "x"\n}\n', after: '{\n  "name": "x",\n  "allowScripts": {\n    "a": true\n  }\n}\n',
    }))
    expect(text).toBe([
      'approved a', 'could not map:', '  pnpm-workspace.yaml allowBuilds["@types/*"]: a name pattern',
      '--- package.json', '+++ package.json', '@@ -1,3 +1,6 @@', ' {', '-  "name": "x"', '+  "name": "x",', '+  "allowScripts": {', '+    "a": true', '+  }', ' }',
      'safe-install: --dry-run: 1 change not written to /p/package.json', '',
    ].join('\n'))
  })

  it('diffs line by line inside the changed region', () => {
    const before = '{\n  "allowScripts": {\n    "x": true,\n    "y": true,\n    "z": false\n  }\n}\n'
    const after = '{\n  "allowScripts": {\n    "y": true,\n    "z": false,\n    "q": true\n  }\n}\n'
    expect(renderDiff(before, after, 'package.json').split('\n').slice(3)).toEqual([
      ' {', '   "allowScripts": {', '-    "x": true,', '     "y": true,', '-    "z": false', '+    "z": false,', '+    "q": true', '   }', ' }',
    ])
  })
})

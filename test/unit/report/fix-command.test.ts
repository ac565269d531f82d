import { describe, expect, it } from 'vitest'
import { fixFor } from '../../../src/report/fix-command.js'
import type { Finding } from '../../../src/types.js'

const finding = (over: Partial<Finding>): Finding => ({
  rule: 'credential-read', severity: 'error', action: 'blocked',
  package: { name: '@scope/evil', version: '1.0.0', location: 'node_modules/@scope/evil' },
  event: 'postinstall', message: 'postinstall of @scope/evil@1.0.0 read ~/.npmrc.', evidence: {}, ...over,
})

describe('fixFor', () => {
  it("keeps a finding's own fix, labelled as an approval for approval rules", () => {
    expect(fixFor(finding({ rule: 'unreviewed-script', severity: 'warning', evidence: { fix: 'safe-install policy approve sharp' } })))
      .toEqual({ label: 'approve with', command: 'safe-install policy approve sharp' })
    expect(fixFor(finding({ rule: 'write-outside-package', evidence: { fix: 'grant it: ...' } }))).toEqual({ label: 'fix', command: 'grant it: ...' })
  })

  it('denies a dependency for what no policy grants', () => {
    for (const rule of ['credential-read', 'secret-exfiltration', 'persistence', 'escaped-process', 'direct-connection', 'egress-blocked', 'static-curl-pipe-shell']) {
      expect(fixFor(finding({ rule }))).toEqual({ label: 'deny with', command: 'safe-install policy deny @scope/evil' })
    }
  })

  it('reruns a failed script once its cause is fixed', () => {
    expect(fixFor(finding({ rule: 'script-failed' }))).toEqual({ label: 'rerun with', command: 'safe-install rebuild @scope/evil' })
  })

  it('offers nothing for notes, for the project itself, or for rules with no one command', () => {
    expect(fixFor(finding({ severity: 'note' }))).toBeUndefined()
    expect(fixFor(finding({ package: { name: 'my-app', version: '1.0.0', location: '' } }))).toBeUndefined()
    expect(fixFor(finding({ package: { name: '(project)', version: '' } }))).toBeUndefined()
    expect(fixFor(finding({ rule: 'lockfile-missing-integrity' }))).toBeUndefined()
  })
})

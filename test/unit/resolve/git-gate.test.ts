import { describe, expect, it } from 'vitest'
import { gitRemotes, refusedRemote } from '../../../src/resolve/git-gate.js'

describe('gitRemotes', () => {
  it('finds URL and scp-like remotes among git arguments, with default ports', () => {
    expect(gitRemotes(['--no-replace-objects', 'ls-remote', '-h', '-t', 'https://git.example.test/x/y.git'])).toEqual([
      { url: 'https://git.example.test/x/y.git', host: 'git.example.test', port: 443 },
    ])
    expect(gitRemotes(['clone', '-q', 'git+ssh://git@git.example.test:2222/x/y.git', '/tmp/dir'])).toEqual([
      { url: 'git+ssh://git@git.example.test:2222/x/y.git', host: 'git.example.test', port: 2222 },
    ])
    expect(gitRemotes(['clone', 'git@git.example.test:x/y.git'])).toEqual([{ url: 'git@git.example.test:x/y.git', host: 'git.example.test', port: 22 }])
    expect(gitRemotes(['clone', 'git://[::1]/x'])).toEqual([{ url: 'git://[::1]/x', host: '::1', port: 9418 }])
  })
  it('ignores local paths, file URLs, options and refspecs', () => {
    expect(gitRemotes(['clone', 'file:///srv/repo', '/tmp/clone', '--depth=1', 'HEAD:refs/x', '+refs/heads/*:refs/remotes/origin/*', 'origin'])).toEqual([])
  })
})

describe('refusedRemote', () => {
  it('refuses a git host network.allow does not grant, and lets granted ones run', () => {
    expect(refusedRemote(['ls-remote', 'https://git.example.test/x.git'], [])).toEqual({
      url: 'https://git.example.test/x.git', reason: expect.stringContaining('git.example.test'),
    })
    expect(refusedRemote(['ls-remote', 'https://git.example.test/x.git'], ['git.example.test'])).toBeNull()
    expect(refusedRemote(['ls-remote', 'ssh://git@git.example.test/x.git'], ['git.example.test:443'])).not.toBeNull()
    expect(refusedRemote(['rev-parse', 'HEAD'], [])).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { exitCodeFor, SafeInstallError } from '../../../src/errors.js'
import { checkWriteGrants } from '../../../src/policy/check-grants.js'
import { normalizeTilde, writeGrantRefusal } from '../../../src/policy/grant-scope.js'
import { policyFromText } from '../../../src/policy/load-policy.js'
import { loadPathRules } from '../../../src/trace/path-rules.js'

const rules = loadPathRules()
const context = { projectDir: '/home/alice/work/app', realHome: '/home/alice', rules }
const refusal = (grant: string): string | undefined => writeGrantRefusal(grant, context)

describe('writeGrantRefusal: what a write grant may not open', () => {
  it.each([
    ['~', /whole home directory/],
    ['~/', /whole home directory/],
    ['~/.cache/..', /whole home directory/],
    ['~/../bob/.cache/x', /leaves the home directory/],
    ['~/.ssh', /ssh/],
    ['~/.ssh/keys', /ssh/],
    ['~/.npmrc', /package manager configuration/],
    ['~/.bashrc', /shell startup file/],
    ['~/.config/gh', /~\/\.config\/gh/],
    ['~/.config', /shared by many tools/],
    ['~/.config/systemd', /systemd/],
    ['~/.aws', /~\/\.aws/],
    ['~/.docker', /docker/],
    ['~/.local/bin', /PATH/],
    ['~/.cache', /shared by many tools/],
    ['~/.npm', /npm's cache/],
    ['~/.npm/_cacache', /inside ~\/\.npm, npm's cache/],
    ['~/.cache/node-gyp/20.19.0', /node-gyp's headers/],
    ['~/.cache/safe-install', /malicious-package index/],
    ['~/Library/LaunchAgents', /LaunchAgent/],
    ['~/.mozilla', /browser profile/],
    ['~/.claude', /AI/],
    ['~/work', /the project writable/],
    ['/home/alice/.ssh', /ssh/],
    ['/root/.aws', /aws/],
    ['/', /top-level/],
    ['/opt', /top-level/],
    ['/proc/self', /kernel interface/],
    ['/home/alice/work/app/node_modules', /the project writable|every installed package/],
    ['/srv/x/node_modules', /every installed package/],
    ['/etc/systemd/system', /systemd/],
    ['cache', /absolute path or starts with ~\//],
    ['./cache', /absolute path or starts with ~\//],
    ['~bob/.cache/x', /absolute path or starts with ~\//],
  ])('refuses %s', (grant, why) => {
    expect(refusal(grant)).toMatch(why)
  })

  it.each([
    '~/.cache/puppeteer', '~/.cache/ms-playwright', '~/.cache/Cypress', '~/.cache/electron', '~/.cache/prisma',
    '~/.cache/puppeteer/', '~/.electron', '~/..hidden-cache', '~/Library/Caches/ms-playwright',
    '/opt/toolcache', '/home/alice/.cache/puppeteer', '/home/alice/work/app/dist',
  ])('accepts %s', (grant) => {
    expect(refusal(grant)).toBeUndefined()
  })

  it('judges a ~ grant by its ~ form when the real home is unknown', () => {
    expect(writeGrantRefusal('~/.ssh', { ...context, realHome: undefined })).toMatch(/ssh/)
    expect(writeGrantRefusal('~/.cache/x', { ...context, realHome: undefined })).toBeUndefined()
  })

  it('normalises ~ forms', () => {
    expect(normalizeTilde('~/.cache//x/')).toBe('~/.cache/x')
    expect(normalizeTilde('~/a/../..')).toBe('~/..')
    expect(normalizeTilde('~')).toBe('~')
    expect(normalizeTilde('/abs')).toBeUndefined()
    expect(normalizeTilde('~bob')).toBeUndefined()
  })
})

describe('checkWriteGrants: the install refuses such a policy before anything runs', () => {
  it('passes every shipped preset, known-packages included', () => {
    for (const preset of ['default', 'strict', 'known-packages']) {
      const policy = policyFromText(JSON.stringify({ extends: preset }), 'p.json')
      expect(() => checkWriteGrants(policy, context)).not.toThrow()
    }
  })
  it('names the file, the package, the grant and why, as a policy error (exit 2)', () => {
    const policy = policyFromText(JSON.stringify({ extends: ['default', 'known-packages'], packages: { tool: { write: ['~/.cache/tool', '~/.ssh'] } } }), 'safe-install.policy.json')
    const error = (() => {
      try {
        checkWriteGrants(policy, context)
        return undefined
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(SafeInstallError)
    const e = error as SafeInstallError
    expect(e.code).toBe('EPOLICY')
    expect(exitCodeFor(e.code)).toBe(2)
    expect(e.message).toMatch(/^safe-install\.policy\.json: packages\.tool\.write: "~\/\.ssh" is refused: a grant of ~\/\.ssh would cover .*ssh/)
    expect(e.hint).toContain('~/.cache/<tool>')
  })
})

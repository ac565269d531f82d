import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canaryEnv, decoyHomeFiles, makeCanaries } from '../../../src/sandbox/env/canaries.js'
import { looksSecretValue } from '../../../src/sandbox/env/secret-patterns.js'

describe('canaries', () => {
  it('look like real credentials and differ per run', () => {
    const a = makeCanaries(randomBytes)
    const b = makeCanaries(randomBytes)
    expect(a.npmToken).toMatch(/^npm_[A-Za-z0-9]{36}$/)
    expect(a.githubToken).toMatch(/^ghp_[A-Za-z0-9]{36}$/)
    expect(a.awsAccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/)
    expect(a.sshPrivateKey).toContain('BEGIN OPENSSH PRIVATE KEY')
    expect(a.npmToken).not.toBe(b.npmToken)
    for (const value of [a.npmToken, a.githubToken, a.awsAccessKeyId]) expect(looksSecretValue(value)).toBe(true)
  })

  it('seed the env variables and files payloads go for', () => {
    const c = makeCanaries(randomBytes)
    expect(canaryEnv(c)).toMatchObject({ NPM_TOKEN: c.npmToken, GH_TOKEN: c.githubToken, AWS_ACCESS_KEY_ID: c.awsAccessKeyId })
    const files = decoyHomeFiles(c, '127.0.0.1:4873')
    const paths = files.map((f) => f.path)
    for (const p of ['.npmrc', '.aws/credentials', '.ssh/id_ed25519', '.git-credentials', '.docker/config.json', '.kube/config', '.config/gh/hosts.yml', '.netrc']) {
      expect(paths).toContain(p)
    }
    expect(files.find((f) => f.path === '.npmrc')?.content).toBe(`//127.0.0.1:4873/:_authToken=${c.npmToken}\n`)
  })
})

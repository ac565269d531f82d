import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exitCodeFor, SafeInstallError } from '../../../src/errors.js'
import { loadPolicy } from '../../../src/policy/load-policy.js'
import { readKnownPackages } from '../../../src/policy/presets.js'

let dir: string
let count = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'si-policy-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const load = async (policy: unknown) => {
  count += 1
  const file = join(dir, `policy-${count}.json`)
  await writeFile(file, JSON.stringify(policy))
  return loadPolicy({ explicit: file, prefix: dir })
}

const failure = async (policy: unknown): Promise<SafeInstallError> => {
  const error = await load(policy).then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(SafeInstallError)
  return error as SafeInstallError
}

describe('loadPolicy and extends', () => {
  it('without a file is the default preset and grants no package anything', async () => {
    const policy = await loadPolicy({ prefix: dir })
    expect(policy.source).toBe('preset:default')
    expect(policy.timeoutSec).toBe(600)
    expect(policy.packages).toEqual({})
  })

  it('"known-packages" loads every curated entry, keyed by name, with its preset and range but not its reason or source', async () => {
    const policy = await load({ extends: 'known-packages' })
    expect(Object.keys(policy.packages).sort()).toEqual(Object.keys(readKnownPackages().packages).sort())
    expect(policy.packages['puppeteer']).toEqual({
      network: ['storage.googleapis.com'], write: ['~/.cache/puppeteer'], env: ['PUPPETEER_*'], timeoutSec: 900,
      origin: { kind: 'preset', preset: 'known-packages', versions: null },
    })
    expect(policy.packages['bcrypt']?.origin).toEqual({ kind: 'preset', preset: 'known-packages', versions: '<6.0.0' })
    expect(JSON.stringify(policy)).not.toMatch(/reason|source":"https|skipWith/)
  })

  it('a list merges in order: the last layer that sets a value wins, lists add up, the file comes last', async () => {
    const strictThenDefault = await load({ extends: ['strict', 'default'] })
    expect(strictThenDefault.unreviewed).toBe('fail')
    expect(strictThenDefault.timeoutSec).toBe(600)
    const defaultThenStrict = await load({ extends: ['default', 'strict'] })
    expect(defaultThenStrict.timeoutSec).toBe(300)
    const strictKnown = await load({ extends: ['strict', 'known-packages'], timeoutSec: 120, network: { allow: ['mirror.example'] } })
    expect(strictKnown).toMatchObject({ unreviewed: 'fail', timeoutSec: 120, network: ['mirror.example'] })
    expect(strictKnown.packages['cypress']?.network).toEqual(['download.cypress.io', 'cdn.cypress.io'])
  })

  it('an entry of the file replaces the preset\'s entry of the same name (the user can narrow it)', async () => {
    const policy = await load({ extends: ['default', 'known-packages'], packages: { electron: { network: ['electron-mirror.example'] } } })
    expect(policy.packages['electron']).toEqual({ network: ['electron-mirror.example'], write: [], env: [], origin: { kind: 'policy' } })
    expect(policy.packages['puppeteer']?.origin.kind).toBe('preset')
  })

  it('rejects a bad extends with one line naming the field (EPOLICY, exit 2)', async () => {
    const unknown = await failure({ extends: 'known' })
    expect(unknown.code).toBe('EPOLICY')
    expect(exitCodeFor(unknown.code)).toBe(2)
    expect(unknown.message).toMatch(/: extends: must be one of \["default","strict","known-packages"\]$/)
    expect(unknown.message).not.toContain('\n')
    expect((await failure({ extends: ['default', 'nope'] })).message).toMatch(/: extends\.1: must be one of /)
    expect((await failure({ extends: [] })).message).toMatch(/: extends: must NOT have fewer than 1 items$/)
    expect((await failure({ extends: ['default', 'default'] })).message).toMatch(/: extends: must NOT have duplicate items/)
    expect((await failure({ extends: 'known-packages', packages: { x: { netwrk: [] } } })).message).toMatch(/packages\.x: unknown field "netwrk"$/)
  })
})

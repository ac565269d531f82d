/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Per-hook limits in the namespace sandbox: a fork flood is ended by the pids watchdog and a
 * write past the file-size limit fails; each is reported on the package and hook that did it, the
 * install fails like a timed-out one (exit 3), and nothing of the flood survives. Both fixtures
 * are bounded and harmless even uncontained (sleepers end within 150 s; the big file is sparse).
 */
import { execFileSync } from 'node:child_process'
import { stat } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/fixtures.js'
import { prepareProject, readJson, safeInstall } from '../helpers/safe-install.js'
import { validateReport } from '../../src/report/validate-report.js'
import { FILE_SIZE_MAX_BYTES, PIDS_MAX } from '../../src/sandbox/spec.js'
import type { Finding, Report } from '../../src/types.js'

const sleepers = (): number => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.trim() === 'sleep 150').length

describe('per-hook limits', () => {
  const open = inject('openRegistry')
  let root: string
  beforeAll(async () => {
    root = await makeTempDir('si-limits-')
  })
  afterAll(async () => {
    if (root !== undefined) await removeDir(root)
  })

  const install = async (name: string): Promise<{ code: number; failed: Finding | undefined; dir: string }> => {
    const project = await prepareProject('basic', root, name, open, { dependencies: { [name]: '1.0.0' }, allowScripts: { [name]: true } })
    const reportFile = path.join(root, `${name}.json`)
    const r = await safeInstall(project, ['install', '--quiet', '--report', reportFile])
    const report = await readJson<Report>(reportFile)
    expect(validateReport(report)).toEqual({ kind: 'valid' })
    return { code: r.code, failed: report.findings.find((f) => f.rule === 'script-failed' && f.package.name === name), dir: project.dir }
  }

  it('ends a fork flood at the pids limit, kills all of it and says so', async () => {
    const before = sleepers()
    const { code, failed } = await install('fork-flood')
    expect(code).toBe(3)
    expect(failed).toMatchObject({ event: 'postinstall', action: 'blocked', severity: 'error', evidence: { limit: { kind: 'pids', max: PIDS_MAX } } })
    expect(failed?.message).toContain(`limit of ${PIDS_MAX} processes`)
    expect(sleepers()).toBe(before)
  })

  it('stops a write past the file-size limit and says so', async () => {
    const { code, failed, dir } = await install('big-writer')
    expect(code).toBe(3)
    expect(failed).toMatchObject({ event: 'postinstall', action: 'blocked', evidence: { limit: { kind: 'file-size', max: FILE_SIZE_MAX_BYTES } } })
    const big = await stat(path.join(dir, 'node_modules', 'big-writer', 'big.bin')).catch(() => null)
    expect(big === null || big.size <= FILE_SIZE_MAX_BYTES).toBe(true)
  })
})

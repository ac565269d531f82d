import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ciContextOf, junitRequest, reportCiFailure, shieldStdout, writeCiOutputs } from '../../../src/cli/ci-output.js'
import { SafeInstallError } from '../../../src/errors.js'
import { makeTempDir, removeDir } from '../../helpers/fixtures.js'
import { sampleReport } from '../report/sample-report.js'

const places = { manifestPath: 'package.json', lockfilePath: 'package-lock.json', locate: (): undefined => undefined }

describe('CI outputs of a run', () => {
  let dir: string
  beforeAll(async () => { dir = await makeTempDir('si-ci-output-') })
  afterAll(async () => { await removeDir(dir) })

  const github = (summary: string): ReturnType<typeof ciContextOf> =>
    ciContextOf({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: dir }, path.join(dir, 'app'))

  it('appends the step summary after what other steps wrote, returns annotations, writes JUnit', async () => {
    const summary = path.join(dir, 'summary-1.md')
    writeFileSync(summary, '## an earlier step\n')
    const junit = path.join(dir, 'junit.xml')
    const out = await writeCiOutputs({ ci: github(summary), report: sampleReport(), places, degraded: undefined, junit, failOn: ['error'], title: 'safe-install ci' })
    const text = readFileSync(summary, 'utf8')
    expect(text.startsWith('## an earlier step\n\n## safe-install ci: 2 errors, 2 warnings, 1 note\n')).toBe(true)
    expect(out.annotations.split('\n').filter(Boolean)).toHaveLength(5)
    expect(out.warnings).toEqual([])
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="safe-install install"')
    await writeCiOutputs({ ci: github(summary), report: sampleReport(), places, degraded: undefined, junit: undefined, failOn: ['error'], title: 'safe-install ci' })
    expect(readFileSync(summary, 'utf8').split('## safe-install ci:')).toHaveLength(3)
  })

  it('writes nothing GitHub-specific outside GitHub Actions, and still the JUnit file', async () => {
    const ci = ciContextOf({ GITLAB_CI: 'true', GITHUB_STEP_SUMMARY: path.join(dir, 'never.md') }, dir)
    const junit = path.join(dir, 'gitlab.xml')
    const out = await writeCiOutputs({ ci, report: sampleReport(), places, degraded: undefined, junit, failOn: ['error'], title: 'safe-install ci' })
    expect(out).toEqual({ annotations: '', warnings: [] })
    expect(existsSync(path.join(dir, 'never.md'))).toBe(false)
    expect(readFileSync(junit, 'utf8')).toContain('<property name="ci" value="GitLab CI"/>')
    expect(shieldStdout(ci, 'text\n::error::x\n')).toBe('text\n::error::x\n')
  })

  it('keeps the summary file under GitHub\'s 1 MiB: a smaller summary when the file is large, none when it is full', async () => {
    const summary = path.join(dir, 'summary-big.md')
    writeFileSync(summary, 'x'.repeat(1024 * 1024 - 40 * 1024))
    await writeCiOutputs({ ci: github(summary), report: sampleReport(), places, degraded: undefined, junit: undefined, failOn: ['error'], title: 'safe-install ci' })
    expect(readFileSync(summary).length).toBeLessThanOrEqual(1024 * 1024)
    writeFileSync(summary, 'x'.repeat(1024 * 1024 - 100))
    const out = await writeCiOutputs({ ci: github(summary), report: sampleReport(), places, degraded: undefined, junit: undefined, failOn: ['error'], title: 'safe-install ci' })
    expect(readFileSync(summary).length).toBe(1024 * 1024 - 100)
    expect(out.warnings).toEqual(['step summary not written: $GITHUB_STEP_SUMMARY is already near GitHub\'s 1 MiB limit'])
  })

  it('fences text output with a fresh random token each time in GitHub Actions', () => {
    const ci = github(path.join(dir, 'unused.md'))
    const a = shieldStdout(ci, 'report\n')
    const b = shieldStdout(ci, 'report\n')
    expect(a).toMatch(/^::stop-commands::([0-9a-f]{32})\nreport\n::\1::\n$/)
    expect(a).not.toBe(b)
  })

  it('turns a usage or isolation error into an error annotation and a short summary', () => {
    const summary = path.join(dir, 'summary-error.md')
    const error = new SafeInstallError('EISOLATION', 'the namespace sandbox could not be set up: bubblewrap (bwrap) is not installed', 'install it: sudo apt-get install bubblewrap')
    expect(reportCiFailure(github(summary), error, 4)).toBe('::error title=safe-install%3A namespace sandbox required::the namespace sandbox could not be set up: bubblewrap (bwrap) is not installed%0AFix: install it: sudo apt-get install bubblewrap\n')
    expect(readFileSync(summary, 'utf8')).toMatch(/^## safe-install: namespace sandbox required\n\nthe namespace sandbox could not be set up&#58; bubblewrap &#40;bwrap&#41; is not installed\n\nFix: install it&#58;/)
    expect(reportCiFailure(ciContextOf({}, dir), error, 4)).toBe('')
  })
})

describe('junitRequest: --junit of a run whose arguments were never parsed', () => {
  it('finds the file in both spellings and the command, the default command when there is none', () => {
    expect(junitRequest(['ci', '--junit', 'r.xml', '--bogus'])).toEqual({ file: 'r.xml', command: 'ci' })
    expect(junitRequest(['--junit=r.xml', 'audit'])).toEqual({ file: 'r.xml', command: 'audit' })
    expect(junitRequest(['--junit', 'r.xml', 'rebuild', 'x'])).toEqual({ file: 'r.xml', command: 'rebuild' })
    expect(junitRequest(['--junit', 'r.xml'])).toEqual({ file: 'r.xml', command: 'install' })
    expect(junitRequest(['lodash', '--junit', 'r.xml'])).toEqual({ file: 'r.xml', command: 'install' })
    expect(junitRequest(['clean-install', '--junit', 'r.xml'])).toEqual({ file: 'r.xml', command: 'ci' })
    expect(junitRequest(['rb', '--junit=r.xml'])).toEqual({ file: 'r.xml', command: 'rebuild' })
  })

  it('nothing for commands without --junit, a missing value, or after --', () => {
    expect(junitRequest(['doctor', '--junit', 'r.xml'])).toBeUndefined()
    expect(junitRequest(['policy', 'ls', '--junit', 'r.xml'])).toBeUndefined()
    expect(junitRequest(['ci', '--junit'])).toBeUndefined()
    expect(junitRequest(['ci', '--junit', '--quiet'])).toBeUndefined()
    expect(junitRequest(['ci', '--', '--junit', 'r.xml'])).toBeUndefined()
    expect(junitRequest(['ci'])).toBeUndefined()
  })
})

describe('ciContextOf: paths relative to the checkout each service names', () => {
  it('GitHub GITHUB_WORKSPACE, GitLab CI_PROJECT_DIR, Azure BUILD_SOURCESDIRECTORY, Jenkins WORKSPACE; none elsewhere', () => {
    const lockfile = '/builds/group/repo/app/package-lock.json'
    const cwd = '/builds/group/repo/app'
    expect(ciContextOf({ GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: '/builds/group/repo' }, cwd).repoPath(lockfile)).toBe('app/package-lock.json')
    expect(ciContextOf({ GITLAB_CI: 'true', CI_PROJECT_DIR: '/builds/group/repo' }, cwd).repoPath(lockfile)).toBe('app/package-lock.json')
    expect(ciContextOf({ TF_BUILD: 'True', BUILD_SOURCESDIRECTORY: '/builds/group/repo' }, cwd).repoPath(lockfile)).toBe('app/package-lock.json')
    expect(ciContextOf({ JENKINS_URL: 'http://ci.example.test/', BUILD_ID: '7', WORKSPACE: '/builds/group/repo' }, cwd).repoPath(lockfile)).toBe('app/package-lock.json')
    // Another service's variable means nothing; a checkout that does not hold cwd is ignored.
    expect(ciContextOf({ GITLAB_CI: 'true', GITHUB_WORKSPACE: '/builds/group/repo' }, cwd).repoPath(lockfile)).toBe('package-lock.json')
    expect(ciContextOf({ GITLAB_CI: 'true', CI_PROJECT_DIR: '/elsewhere' }, cwd).repoPath(lockfile)).toBe('package-lock.json')
    expect(ciContextOf({}, cwd).repoPath(lockfile)).toBe('package-lock.json')
  })
})

/// <reference path="../helpers/provided-context.d.ts" />
/**
 * `safe-install ci` and `audit` in a simulated GitHub Actions job: GITHUB_ACTIONS=true, a
 * workspace one level above the project (a job with `working-directory`), and a step summary
 * file that an earlier step already wrote to. The annotations and the summary are checked as
 * the text the runner reads; SARIF against the official SARIF 2.1.0 schema; JUnit with a strict
 * XML parser.
 */
import { createServer, type Server } from 'node:http'
import { cp, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FIXTURES_DIR, makeTempDir, removeDir } from '../helpers/fixtures.js'
import { lockLine, obeyed, shown } from '../helpers/github-output.js'
import { npm, prepareProject, readJson, safeInstall, type TestProject } from '../helpers/safe-install.js'
import { sarifSchemaErrors } from '../helpers/sarif-schema.js'
import { findAll, parseXml } from '../helpers/xml.js'
import type { Report } from '../../src/types.js'

describe('CI output in a simulated GitHub Actions job', () => {
  const open = inject('openRegistry')
  let root: string
  let workspace: string
  let project: TestProject
  let gh: Record<string, string>
  let summaryFile: string
  let server: Server
  let hits = 0

  beforeAll(async () => {
    root = await makeTempDir('si-ci-output-')
    server = createServer((_req, res) => { hits += 1; res.end('x') })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    project = await prepareProject('basic', root, 'repo', open, {
      dependencies: { 'proxy-client': '1.0.0', 'benign-postinstall': '1.0.0' },
      allowScripts: { 'proxy-client': true, 'benign-postinstall': true },
    })
    workspace = path.dirname(project.dir)
    // No grant for either: both requests are refused by the hook's egress proxy (egress-blocked errors).
    await writeFile(path.join(project.dir, 'egress-targets.json'), JSON.stringify({ allowedUrl: `http://127.0.0.1:${port}/a`, deniedUrl: `http://127.0.0.1:${port}/b` }))
    const locked = await npm(project, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])
    expect(locked.code, locked.stderr).toBe(0)
    summaryFile = path.join(root, 'step-summary.md')
    gh = { ...project.env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_STEP_SUMMARY: summaryFile }
  }, 120_000)

  afterAll(async () => {
    server?.close()
    if (root !== undefined) await removeDir(root)
  })

  it('ci: an error annotation per finding at its lockfile line, the text report fenced, a step summary appended, SARIF and JUnit', async () => {
    await writeFile(summaryFile, '## Earlier step\n\nit ran.\n')
    const files = { sarif: path.join(root, 'ci.sarif'), junit: path.join(root, 'ci.xml'), report: path.join(root, 'ci.json') }
    const r = await safeInstall({ ...project, env: gh }, ['ci', '--sarif', files.sarif, '--junit', files.junit, '--report', files.report])
    expect(r.code, shown(r.stdout + r.stderr)).toBe(1)
    expect(hits).toBe(0)
    const report = await readJson<Report>(files.report)
    const lock = await readFile(path.join(project.dir, 'package-lock.json'), 'utf8')
    const line = lockLine(lock, 'proxy-client')
    expect(line).toBeGreaterThan(1)

    // The report itself is fenced: nothing in it is obeyed; our annotations follow it.
    expect(r.stdout).toMatch(/^::stop-commands::([0-9a-f]{32})\nsafe-install ci · mode enforce[^]*\n::\1::\n::/)
    const annotations = obeyed(r.stdout)
    const blocked = annotations.filter((a) => a.startsWith('::error title=egress-blocked%3A proxy-client@1.0.0,'))
    expect(blocked.length).toBeGreaterThan(0)
    expect(blocked[0]).toMatch(new RegExp(`^::error title=egress-blocked%3A proxy-client@1\\.0\\.0,file=project/package-lock\\.json,line=${line}::postinstall of proxy-client@1\\.0\\.0 .*127\\.0\\.0\\.1`))
    // One annotation per distinct error (the same refusal repeated is annotated once), at most 10.
    const distinct = new Set(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.message} ${String(f.evidence['fix'])}`)).size
    expect(annotations.filter((a) => a.startsWith('::error')).length).toBe(Math.min(distinct, 10))
    expect(annotations.every((a) => !a.includes('\n'))).toBe(true)

    const summary = await readFile(summaryFile, 'utf8')
    expect(summary.startsWith('## Earlier step\n\nit ran.\n\n## safe-install ci: ')).toBe(true)
    expect(summary).toContain(`**Isolation in force:** ${report.isolation.backend === 'none' ? 'none' : report.isolation.backend}`)
    expect(summary).toMatch(/### Install scripts: 2 run, 0 skipped, 0 failed, 0 blocked/)
    expect(summary).toMatch(/\| <code>proxy&#45;client&#64;1&#46;0&#46;0<\/code> \| <code>postinstall<\/code> \| ok \| [\d.]+m?s \|/)
    expect(summary).toMatch(/### Blocked\n\n- \d+ connections: <code>127&#46;0&#46;0&#46;1&#58;\d+<\/code> \(http\) from <code>proxy&#45;client&#64;1&#46;0&#46;0<\/code> <code>postinstall<\/code>/)
    expect(summary).toMatch(/\| error \| <code>egress&#45;blocked<\/code> \| <code>proxy&#45;client&#64;1&#46;0&#46;0<\/code> \| <code>postinstall<\/code> \| blocked \|/)
    expect(summary).toMatch(/### Network: \d+ connections, \d+ blocked/)

    const sarif = JSON.parse(await readFile(files.sarif, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: unknown }> }> }> }
    expect(sarifSchemaErrors(sarif)).toEqual([])
    expect(sarif.runs[0]?.results.find((x) => x.ruleId === 'egress-blocked')?.locations[0]?.physicalLocation)
      .toEqual({ artifactLocation: { uri: 'project/package-lock.json' }, region: { startLine: line } })

    const junit = parseXml(await readFile(files.junit, 'utf8'))
    const cases = findAll(junit, 'testcase')
    expect(cases.map((c) => `${c.attrs['classname']} ${c.attrs['name']}`).sort()).toEqual(['benign-postinstall@1.0.0 postinstall', 'proxy-client@1.0.0 postinstall'])
    const failure = cases.find((c) => c.attrs['classname'] === 'proxy-client@1.0.0')?.children.find((c) => c.tag === 'failure')
    expect(failure?.text).toContain('error egress-blocked [blocked] proxy-client@1.0.0 postinstall')
    expect(cases.find((c) => c.attrs['classname'] === 'benign-postinstall@1.0.0')?.children.map((c) => c.tag)).toEqual(['system-out'])
  })

  it('GitLab CI: a Code Quality report with each finding at its lockfile line relative to CI_PROJECT_DIR, no GitHub commands', async () => {
    const cq = path.join(root, 'gl-code-quality.json')
    const env = { ...project.env, CI: 'true', GITLAB_CI: 'true', CI_PROJECT_DIR: workspace }
    const r = await safeInstall({ ...project, env }, ['ci', '--codequality', cq])
    expect(r.code, shown(r.stdout + r.stderr)).toBe(1)
    expect(r.stdout + r.stderr).not.toMatch(/^\s*::/m)
    const line = lockLine(await readFile(path.join(project.dir, 'package-lock.json'), 'utf8'), 'proxy-client')
    const issues = JSON.parse(await readFile(cq, 'utf8')) as Array<{ check_name: string; severity: string; fingerprint: string; description: string; location: { path: string; lines: { begin: number } } }>
    const blocked = issues.filter((i) => i.check_name === 'egress-blocked')
    expect(blocked.length).toBeGreaterThan(0)
    expect(blocked[0]).toMatchObject({ severity: 'critical', location: { path: 'project/package-lock.json', lines: { begin: line } } })
    expect(blocked[0]?.description).toMatch(/^egress-blocked \(blocked\): proxy-client@1\.0\.0 postinstall: /)
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length)

    // audit writes the same format; its static findings point at the script line inside the package.
    const auditCq = path.join(root, 'gl-code-quality-audit.json')
    const audit = await safeInstall({ ...project, env }, ['audit', '--codequality', auditCq])
    expect([0, 1]).toContain(audit.code)
    const auditIssues = JSON.parse(await readFile(auditCq, 'utf8')) as typeof issues
    expect(auditIssues.find((i) => i.check_name === 'install-script' && i.description.includes('proxy-client'))?.location)
      .toEqual({ path: 'project/package-lock.json', lines: { begin: line } })
  })

  it('ci --format json: stdout is only the JSON report, the annotations go to stderr', async () => {
    const r = await safeInstall({ ...project, env: gh }, ['ci', '--format', 'json'])
    expect(r.code, shown(r.stderr)).toBe(1)
    expect((JSON.parse(r.stdout) as Report).command).toBe('ci')
    expect(obeyed(r.stderr).some((a) => a.startsWith('::error title=egress-blocked%3A proxy-client@1.0.0,file=project/package-lock.json,line='))).toBe(true)
  })

  it('without the namespace sandbox: a warning annotation naming the missing layers and the fix; --require-isolation fails visibly (exit 4)', async () => {
    const env = { ...gh, SAFE_INSTALL_BWRAP: path.join(root, 'no-such-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-such-unshare') }
    await writeFile(summaryFile, '')
    const r = await safeInstall({ ...project, env }, ['ci'])
    expect(r.code, shown(r.stdout + r.stderr)).toBe(1)
    const warning = obeyed(r.stdout).find((a) => a.startsWith('::warning title=safe-install%3A namespace sandbox not in force::'))
    expect(warning).toBeDefined()
    const message = warning!.split('::')[2]!.replace(/%0A/g, '\n').replace(/%25/g, '%')
    expect(message).toContain('Install scripts ran with reduced isolation: bubblewrap (bwrap) is not installed')
    expect(message).toContain('\n- network: proxy variables only; a script that ignores them can connect directly\n')
    expect(message).toContain('\n- filesystem: decoy HOME only; real files stay readable by absolute path\n')
    expect(message).toContain('\nFix: install it: sudo apt-get install bubblewrap')
    expect(message).toContain('\nPass --require-isolation to fail the job instead (exit 4).')
    const summary = await readFile(summaryFile, 'utf8')
    expect(summary).toContain('**Isolation in force:** none (env scrub, decoy home and egress proxy variables only;')
    expect(summary).toContain('**Warning: reduced isolation.** bubblewrap &#40;bwrap&#41; is not installed')

    const strictJunit = path.join(root, 'strict.xml')
    const strict = await safeInstall({ ...project, env }, ['ci', '--require-isolation', '--junit', strictJunit])
    expect(strict.code).toBe(4)
    const errored = findAll(parseXml(await readFile(strictJunit, 'utf8')), 'error')
    expect(errored.map((e) => e.attrs['type'])).toEqual(['EISOLATION'])
    expect(obeyed(strict.stderr)).toEqual([expect.stringMatching(/^::error title=safe-install%3A namespace sandbox required::the namespace sandbox could not be set up: bubblewrap \(bwrap\) is not installed.*%0AFix: install it: sudo apt-get install bubblewrap/)])
    expect(await readFile(summaryFile, 'utf8')).toContain('## safe-install: namespace sandbox required\n\nthe namespace sandbox could not be set up&#58; bubblewrap')
  })

  it('a run that stops on bad input (exit 2) still writes its --junit file: one case in error with the message and the fix', async () => {
    const junit = path.join(root, 'usage.xml')
    const r = await safeInstall({ ...project, env: gh }, ['ci', '--junit', junit, '--no-such-flag'])
    expect(r.code, shown(r.stderr)).toBe(2)
    const doc = parseXml(await readFile(junit, 'utf8'))
    const [suite] = findAll(doc, 'testsuite')
    expect(suite?.attrs).toMatchObject({ name: 'safe-install ci', tests: '1', errors: '1', failures: '0' })
    const [error] = findAll(doc, 'error')
    expect(error?.attrs['type']).toBe('EUSAGE')
    expect(error?.attrs['message']).toBe('unknown option: --no-such-flag')
    expect(obeyed(r.stderr)).toEqual([expect.stringMatching(/^::error title=safe-install failed \(exit 2\)::unknown option: --no-such-flag/)])

    const policy = path.join(root, 'bad.policy.json')
    await writeFile(policy, '{"packages": 7}')
    const badPolicy = await safeInstall({ ...project, env: gh }, ['ci', '--policy', policy, `--junit=${junit}`])
    expect(badPolicy.code, shown(badPolicy.stderr)).toBe(2)
    const [policyError] = findAll(parseXml(await readFile(junit, 'utf8')), 'error')
    expect(policyError?.attrs['type']).toMatch(/^E(POLICY|CONFIG)$/)
    expect(policyError?.attrs['message']).toContain('bad.policy.json')
  })

  it('a failed install (exit 3): the reason is the first error annotation, the script-failed finding follows, the summary says so', async () => {
    const failing = await prepareProject('basic', root, 'failing', open, { dependencies: { 'optional-fails': '1.0.0' }, allowScripts: { 'optional-fails': true } })
    expect((await npm(failing, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])).code).toBe(0)
    const summary = path.join(root, 'failing-summary.md')
    const junit = path.join(root, 'failing.xml')
    const env = { ...failing.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: path.dirname(failing.dir), GITHUB_STEP_SUMMARY: summary }
    const r = await safeInstall({ ...failing, env }, ['ci', '--junit', junit])
    expect(r.code, shown(r.stdout + r.stderr)).toBe(3)
    const annotations = obeyed(r.stdout)
    expect(annotations[0]).toMatch(/^::error title=safe-install%3A install failed::/)
    expect(annotations).toContainEqual(expect.stringMatching(/^::error title=script-failed%3A optional-fails@1\.0\.0,file=project\/package-lock\.json,line=\d+::/))
    expect(await readFile(summary, 'utf8')).toMatch(/^## safe-install ci: 1 error, [^]*\*\*The install failed:\*\* <code>/)
    const failure = findAll(parseXml(await readFile(junit, 'utf8')), 'failure')
    expect(failure.map((f) => f.attrs['type'])).toEqual(['script-failed'])
  })

  it('a script that prints Azure, TeamCity and GitHub commands: none reaches the agent; JSON keeps the exact text', async () => {
    const noisy = await prepareProject('basic', root, 'log-commands', open, { dependencies: { 'log-commands': '1.0.0' }, allowScripts: { 'log-commands': true } })
    expect((await npm(noisy, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])).code).toBe(0)
    // No TF_BUILD or GitHub variable needed: the guard is on everywhere (a docker build inside an Azure job has neither).
    const text = await safeInstall(noisy, ['ci'])
    expect(text.code, shown(text.stdout + text.stderr)).toBe(3)
    const all = text.stdout + text.stderr
    expect(all).toContain('log-commands')
    expect(all).not.toMatch(/##(vso|teamcity)\[/i)
    expect(all).toContain('##vso\\u005btask.setvariable variable=PWNED]yes')
    expect(all).toContain('##teamcity\\u005bsetParameter')

    const json = await safeInstall(noisy, ['ci', '--format', 'json'])
    expect(json.code).toBe(3)
    expect(json.stdout + json.stderr).not.toMatch(/##(vso|teamcity)\[/i)
    const report = JSON.parse(json.stdout) as Report
    const output = report.findings.map((f) => f.evidence['output']).find((o) => typeof o === 'string')
    expect(output).toContain('##vso[task.setvariable variable=PWNED]yes')
    expect(output).toContain('progress 50% ##vso[task.prependpath]/tmp/evil')

    // In GitHub Actions the same output is also fenced: no `::add-mask::` is obeyed.
    const env = { ...noisy.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: path.dirname(noisy.dir) }
    const gha = await safeInstall({ ...noisy, env }, ['ci'])
    expect(gha.code).toBe(3)
    expect(obeyed(gha.stdout).join('\n')).not.toContain('add-mask')
    expect(obeyed(gha.stderr).join('\n')).not.toContain('add-mask')
  })

  it('audit: annotations at the lockfile line and at the script line of static findings, a summary, SARIF and JUnit per rule', async () => {
    const dir = path.join(workspace, 'audited')
    await cp(project.dir, dir, { recursive: true })
    const file = path.join(dir, 'package-lock.json')
    const lock = JSON.parse(await readFile(file, 'utf8')) as { packages: Record<string, Record<string, unknown>> }
    lock.packages['node_modules/benign-postinstall'] = { ...lock.packages['node_modules/benign-postinstall'], resolved: 'http://203.0.113.9/benign-postinstall-1.0.0.tgz' }
    await cp(path.join(FIXTURES_DIR, 'static', 'shai-hulud-like'), path.join(dir, 'node_modules', 'shai-hulud-like'), { recursive: true })
    lock.packages['node_modules/shai-hulud-like'] = { version: '1.0.1', resolved: `${open.url.replace(/\/$/, '')}/shai-hulud-like/-/shai-hulud-like-1.0.1.tgz`, integrity: 'sha512-AAAA', hasInstallScript: true }
    const text = `${JSON.stringify(lock, null, 2)}\n`
    await writeFile(file, text)
    await writeFile(summaryFile, '## Earlier step\n')
    const files = { sarif: path.join(root, 'audit.sarif'), junit: path.join(root, 'audit.xml'), report: path.join(root, 'audit.json') }
    const r = await safeInstall({ ...project, dir, env: gh }, ['audit', '--allowed-host', new URL(open.url).host, '--sarif', files.sarif, '--junit', files.junit, '--report', files.report])
    expect(r.code, shown(r.stdout + r.stderr)).toBe(1)
    const annotations = obeyed(r.stdout)
    const report = await readJson<Report>(files.report)
    const insecure = report.findings.find((f) => f.rule === 'lockfile-insecure-protocol')
    expect(annotations).toContain(`::error title=lockfile-insecure-protocol%3A benign-postinstall@1.0.0,file=audited/package-lock.json,line=${lockLine(text, 'benign-postinstall')}::`
      + `${insecure?.message ?? 'missing'}`.replace(/%/g, '%25'))
    // Static findings point at the script file and line they quote, rebased onto the workspace.
    const statics = report.findings.filter((f) => f.rule.startsWith('static-') && f.severity === 'error')
    expect(statics.map((f) => f.package.name)).toContain('shai-hulud-like')
    const expected = new Set(statics.map((f) => `::error title=${f.rule}%3A ${f.package.name}@${f.package.version},file=audited/${String(f.evidence['file'])},line=${String(f.evidence['line'])}::`))
    const staticAnnotations = annotations.filter((a) => a.startsWith('::error title=static-'))
    expect(staticAnnotations.length).toBeGreaterThan(0)
    for (const a of staticAnnotations) expect(expected.has(a.slice(0, a.indexOf('::', 2) + 2)), shown(a)).toBe(true)
    expect(staticAnnotations.some((a) => a.includes('file=audited/node_modules/shai-hulud-like/'))).toBe(true)
    expect(annotations.filter((a) => a.startsWith('::error')).length).toBeLessThanOrEqual(10)

    const summary = await readFile(summaryFile, 'utf8')
    expect(summary).toMatch(/^## Earlier step\n\n## safe-install audit: \d+ errors?, /)
    expect(summary).toContain('**Lockfile:** <code>audited&#47;package&#45;lock&#46;json</code>')
    expect(summary).toContain(`| error | <code>lockfile&#45;insecure&#45;protocol</code> | <code>benign&#45;postinstall&#64;1&#46;0&#46;0</code> | <code>audited&#47;package&#45;lock&#46;json&#58;${lockLine(text, 'benign-postinstall')}</code> |`)

    const sarif = JSON.parse(await readFile(files.sarif, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> }
    expect(sarifSchemaErrors(sarif)).toEqual([])
    const hulud = statics.find((f) => f.package.name === 'shai-hulud-like')!
    expect(sarif.runs[0]?.results.filter((x) => x.ruleId === hulud.rule).map((x) => x.locations[0]?.physicalLocation.artifactLocation.uri))
      .toContain(`audited/${String(hulud.evidence['file'])}`)

    const cases = findAll(parseXml(await readFile(files.junit, 'utf8')), 'testcase')
    const failed = cases.filter((c) => c.children.some((x) => x.tag === 'failure')).map((c) => c.attrs['name'])
    expect(failed).toEqual(expect.arrayContaining(['lockfile-insecure-protocol', hulud.rule]))
    expect(cases.find((c) => c.attrs['name'] === 'lockfile-duplicate')?.children ?? []).toEqual([])
  })
})

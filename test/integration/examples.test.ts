/// <reference path="../helpers/provided-context.d.ts" />
/**
 * The examples in examples/ (a GitHub Actions workflow, a GitLab CI job, a Dockerfile), proven as
 * far as a machine without a CI runner or a Docker daemon allows:
 *
 * - the two CI files validate against the schemas the services' editors use (vendored in
 *   test/fixtures/schemas/), and a broken copy of each does not;
 * - their commands run exactly as written, by bash, in a simulated job (the service's variables,
 *   the file's own env/variables, the working directory the service uses), with `SAFE_INSTALL`
 *   set the way the READMEs say: the path of a tarball packed from this checkout. npx gets
 *   safe-install's own dependencies from a loopback Verdaccio holding only them and the fixtures;
 * - the Dockerfile's `deps` stage is read and its RUN steps are re-enacted in order in temp
 *   directories, the build secret as a file at the HOME npmrc of the step, `--network=none` as a
 *   network namespace with only loopback.
 *
 * The project holds `exfil-token`, a harmless stealer that reads the npm token and sends it to a
 * loopback listener of this test, through the proxy and directly. What cannot run here: the
 * `uses:` steps (upload-sarif, upload-artifact: their inputs are checked instead), apt-get and
 * sysctl (the packages named are checked), the images themselves (`node:20-bookworm[-slim]`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { gitlabCiSchemaErrors, workflowSchemaErrors } from '../helpers/ci-schemas.js'
import { assignments, flagValue, parseDockerfile, type DockerInstruction } from '../helpers/dockerfile.js'
import { fileHashes, makeTempDir, removeDir, REPO_ROOT, stopwatch } from '../helpers/fixtures.js'
import { lockLine, obeyed, shown } from '../helpers/github-output.js'
import { packCleanCheckout, startRuntimeRegistry } from '../helpers/pack-checkout.js'
import { localNodedir, mirrorPackages, nerfDart, npmEnv, run, writeNpmrc, type Registry, type RegistryInfo, type RunResult } from '../helpers/registry.js'
import { bwrapWorks, npm, PLANTED, prepareProject, readJson, type TestProject } from '../helpers/safe-install.js'
import { sarifSchemaErrors } from '../helpers/sarif-schema.js'
import { failingCases, junitProblems } from '../helpers/junit.js'
import { runtimePackages } from '../helpers/runtime-registry.js'
import { findAll, parseXml } from '../helpers/xml.js'
import { validateReport } from '../../src/report/validate-report.js'
import type { Report } from '../../src/types.js'

const EXAMPLES = path.join(REPO_ROOT, 'examples')
const WORKFLOW_FILE = path.join(EXAMPLES, 'github-actions', 'safe-install.yml')
const GITLAB_FILE = path.join(EXAMPLES, 'gitlab-ci', '.gitlab-ci.yml')
const DOCKERFILE = path.join(EXAMPLES, 'docker', 'Dockerfile')

interface WorkflowStep {
  name?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  with?: Record<string, string | boolean>
  if?: string
  shell?: string
}
interface WorkflowJob { 'runs-on': string; env?: Record<string, string>; steps: WorkflowStep[] }
interface Workflow { env?: Record<string, string>; jobs: Record<string, WorkflowJob> }
interface GitlabJob {
  variables?: Record<string, string>
  before_script?: string[]
  script: string[]
  artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string; codequality?: string } }
}

const readYaml = <T>(file: string): T => parseYaml(readFileSync(file, 'utf8')) as T

/** The packages an `apt-get install` command line names (options and shell operators left out). */
const aptPackages = (text: string): string[] =>
  [...text.matchAll(/apt-get install\b([^\n&|;\\]*)/g)].flatMap((m) => (m[1] ?? '').trim().split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')))

/** The Debian packages scripts/install-system-deps.sh installs when missing. */
const systemDeps = (): string[] =>
  [...readFileSync(path.join(REPO_ROOT, 'scripts', 'install-system-deps.sh'), 'utf8').matchAll(/need\+=\(([^)]+)\)/g)].map((m) => m[1] ?? '')

const planted = Object.values(PLANTED)
/** `RUN --network=none`: a network namespace with only loopback up, as Docker gives the step (root needs no user namespace for it). */
const NO_NETWORK = process.getuid?.() === 0 ? ['unshare', '--net', '--'] : ['unshare', '--map-root-user', '--net', '--']
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

const noNetworkWorks = (): boolean => {
  try {
    execFileSync(NO_NETWORK[0] ?? 'unshare', [...NO_NETWORK.slice(1), 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', env: { PATH: SBIN_PATH } })
    return true
  } catch {
    return false
  }
}

/** A stand-in for the job token GitLab gives every job. */
const CI_JOB_TOKEN = 'glcbt-PLANTEDplantedPLANTEDplanted05'

/** A CI step or job line that ran: its output, the step summary it left, the workspace before and after. */
interface StepOutcome {
  readonly result: RunResult
  readonly summary: string
  readonly before: Map<string, string>
  readonly after: Map<string, string>
}

describe('the CI examples against the schemas of their services', () => {
  const workflow = readYaml<Workflow>(WORKFLOW_FILE)
  const pipeline = readYaml<Record<string, unknown>>(GITLAB_FILE)

  it('examples/github-actions/safe-install.yml is a valid GitHub Actions workflow (SchemaStore github-workflow.json)', () => {
    expect(workflowSchemaErrors(workflow)).toEqual([])
  })

  it('the workflow check can fail: a step with an unknown key, or a job without runs-on, is refused', () => {
    const unknownKey = structuredClone(workflow)
    const steps = Object.values(unknownKey.jobs)[0]?.steps ?? []
    steps[steps.length - 1] = { ...steps[steps.length - 1], 'run-as': 'root' } as WorkflowStep
    expect(workflowSchemaErrors(unknownKey)).not.toEqual([])
    const noRunner = structuredClone(workflow)
    delete (Object.values(noRunner.jobs)[0] as Partial<WorkflowJob>)['runs-on']
    expect(workflowSchemaErrors(noRunner)).not.toEqual([])
  })

  it('examples/gitlab-ci/.gitlab-ci.yml is a valid GitLab CI configuration (SchemaStore gitlab-ci.json)', () => {
    expect(gitlabCiSchemaErrors(pipeline)).toEqual([])
  })

  it('the GitLab check can fail: a misspelt job keyword, or a JUnit report that is not a path, is refused', () => {
    const job = pipeline['safe-install'] as GitlabJob
    expect(gitlabCiSchemaErrors({ ...pipeline, 'safe-install': { ...job, artifact: job.artifacts } })).not.toEqual([])
    expect(gitlabCiSchemaErrors({ ...pipeline, 'safe-install': { ...job, artifacts: { ...job.artifacts, reports: { junit: 42 } } } })).not.toEqual([])
  })

  it('safe-install\'s own runtime dependencies have no install scripts, as the CI READMEs say of what npx installs', () => {
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> } & Parameters<typeof runtimePackages>[0]
    const runtime = runtimePackages(lock)
    expect(runtime.length).toBeGreaterThan(50)
    expect(runtime.filter((p) => lock.packages[p.location]?.hasInstallScript === true).map((p) => p.location)).toEqual([])
  })

  it('the sandbox prerequisites each example installs are what scripts/install-system-deps.sh installs for the sandbox', () => {
    const deps = systemDeps()
    const job = Object.values(workflow.jobs)[0]
    const prerequisites = job?.steps.find((s) => s.run?.includes('apt-get install'))
    expect(aptPackages(prerequisites?.run ?? '')).toEqual(['bubblewrap', 'strace'])
    expect(aptPackages(((pipeline['safe-install'] as GitlabJob).before_script ?? []).join('\n'))).toEqual(['bubblewrap', 'strace'])
    const docker = aptPackages(readFileSync(DOCKERFILE, 'utf8'))
    expect(docker).toEqual(['bubblewrap', 'strace', 'python3', 'make', 'g++'])
    for (const name of docker) expect(deps).toContain(name)
  })
})

describe('the examples run with a tarball packed from this checkout', () => {
  const open = inject('openRegistry')
  const auth = inject('authRegistry')
  const sandbox = bwrapWorks()
  const netns = noNetworkWorks()
  const skipped = [
    sandbox ? '' : 'bubblewrap cannot create its namespaces here: the runs that need the namespace sandbox are skipped',
    netns ? '' : `\`${NO_NETWORK.join(' ')}\` fails here: the Dockerfile's step 3 (--network=none) is not re-enacted`,
  ].filter((reason) => reason !== '')
  let root: string
  let registry: Registry | undefined
  let tarball: string
  let listener: Server | undefined
  let targetUrl: string
  /** What reached the loopback listener the stealer aims at: `METHOD url body`. */
  const received: string[] = []
  const { timings, timed } = stopwatch()
  /** The environment knobs that make both namespace launchers unavailable: what a runner or container without the rights gives. */
  const noNamespaces = (): Record<string, string> => ({ SAFE_INSTALL_BWRAP: path.join(root, 'no-bwrap'), SAFE_INSTALL_UNSHARE: path.join(root, 'no-unshare') })
  /** One npm cache for every simulated job and build (a runner with a warm cache): one download of each tarball. */
  const npmCache = (): string => path.join(root, 'npm-cache')

  beforeAll(async () => {
    root = await makeTempDir('si-examples-')
    for (const reason of skipped) console.error(`examples: skipped: ${reason}`)
    listener = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
      req.on('end', () => { received.push(`${req.method ?? '?'} ${req.url ?? ''} ${body}`); res.end('thanks') })
    })
    await new Promise<void>((resolve) => listener?.listen(0, '127.0.0.1', resolve))
    targetUrl = `http://127.0.0.1:${(listener.address() as { port: number }).port}/collect`

    const started = await timed('registry', () => startRuntimeRegistry())
    registry = started.registry
    await mirrorPackages(open, registry, ['exfil-token', 'benign-postinstall', 'dump-env'])
    const packHome = path.join(root, 'pack-home')
    await writeNpmrc(packHome, registry)
    tarball = (await timed('pack', () => packCleanCheckout(root, npmEnv(packHome, { LANG: 'C.UTF-8' })))).tarball
  }, 300_000)

  afterAll(async () => {
    console.error(`examples: ms ${JSON.stringify(timings)}`)
    listener?.close()
    await registry?.stop()
    if (root !== undefined) await removeDir(root)
  })

  /** A project with the stealer (approved, so its postinstall runs) and a lockfile, the packed tarball committed next to it. */
  const stealerProject = async (label: string, reg: RegistryInfo, extra: Record<string, string> = {}): Promise<TestProject> => {
    const project = await prepareProject('basic', root, label, reg, {
      dependencies: { 'exfil-token': '1.0.0', 'benign-postinstall': '1.0.0', ...extra },
      allowScripts: { 'exfil-token': true, 'benign-postinstall': true },
      files: { 'exfil-targets.json': `${JSON.stringify({ url: targetUrl })}\n` },
    })
    const env = { ...project.env, npm_config_cache: npmCache() }
    const locked = await npm({ ...project, env }, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])
    expect(locked.code, locked.stderr).toBe(0)
    await copyFile(tarball, path.join(project.dir, path.basename(tarball)))
    return { ...project, env }
  }

  /** What the stealer recorded: its loot must hold no planted secret. */
  const stealerResults = async (dir: string): Promise<{ loot: Record<string, unknown>; viaProxy: { status?: number; error?: string }; direct: { status?: number; error?: string } }> =>
    readJson(path.join(dir, 'node_modules', 'exfil-token', 'results.json'))

  describe('GitHub Actions: the workflow\'s safe-install steps in a simulated job', () => {
    const workflow = readYaml<Workflow>(WORKFLOW_FILE)
    const job = Object.values(workflow.jobs)[0] as WorkflowJob
    const steps = job.steps.filter((s) => s.run?.includes('safe-install'))
    let project: TestProject
    let lock: string
    const outcome = new Map<string, StepOutcome>()

    /**
     * A `run:` step as the runner runs it on Linux without `shell:` (`bash -e {0}`), in the
     * workspace, with the workflow's and job's env, the README's SAFE_INSTALL, the runner's
     * variables and a fresh step summary file.
     */
    const runWorkflowStep = async (step: WorkflowStep, workspace: string, label: string, extra: Record<string, string> = {}): Promise<StepOutcome> => {
      const script = path.join(root, `github-${label}.sh`)
      await writeFile(script, step.run ?? '')
      const summary = path.join(root, `github-${label}-summary.md`)
      const env = {
        ...project.env, ...workflow.env, ...job.env, ...step.env,
        // The README's edit: "commit it and set SAFE_INSTALL: ./safe-install-0.1.0.tgz".
        SAFE_INSTALL: `./${path.basename(tarball)}`,
        GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_WORKSPACE: workspace, GITHUB_STEP_SUMMARY: summary,
        ...extra,
      }
      const before = fileHashes(workspace)
      const result = await timed(`github ${label}`, () => run('bash', ['-e', script], { cwd: workspace, env, timeoutMs: 180_000 }))
      return { result, summary: existsSync(summary) ? await readFile(summary, 'utf8') : '', before, after: fileHashes(workspace) }
    }

    beforeAll(async () => {
      project = await stealerProject('github', registry as Registry)
      lock = await readFile(path.join(project.dir, 'package-lock.json'), 'utf8')
      for (const [index, step] of steps.entries()) outcome.set(step.name ?? '', await runWorkflowStep(step, project.dir, `step-${index}`))
    }, 400_000)

    const step = (name: string): StepOutcome => {
      const found = outcome.get(name)
      if (found === undefined) throw new Error(`no step named ${name} ran; ran: ${[...outcome.keys()].join(', ')}`)
      return found
    }

    it('checks out without persisting the job token, and uploads SARIF and reports also when the install failed (if: always())', () => {
      expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['persist-credentials']).toBe(false)
      for (const action of ['github/codeql-action/upload-sarif@', 'actions/upload-artifact@']) {
        expect(job.steps.find((s) => s.uses?.startsWith(action))?.if).toMatch(/^always\(\)/)
      }
    })

    it('runs exactly two steps with safe-install, doctor then ci, through npx of $SAFE_INSTALL; the README names the tarball the way npm pack names it', async () => {
      expect(steps.map((s) => s.name)).toEqual(['Isolation layers on this runner', 'Install dependencies, scripts sandboxed'])
      for (const s of steps) expect(s.run).toMatch(/^npx --yes --package "\$SAFE_INSTALL" safe-install /)
      expect(job.env?.['SAFE_INSTALL']).toMatch(/^safe-install@\d+\.\d+\.\d+$/)
      expect(await readFile(path.join(EXAMPLES, 'github-actions', 'README.md'), 'utf8')).toContain(`\`SAFE_INSTALL: ./${path.basename(tarball)}\``)
    })

    it('the doctor step succeeds and changes nothing in the workspace', () => {
      const { result, before, after } = step('Isolation layers on this runner')
      expect(result.code, shown(result.stderr + result.stdout)).toBe(0)
      expect(result.stdout).toMatch(sandbox ? /bwrap/ : /bubblewrap|namespace/)
      expect(after).toEqual(before)
    })

    it('where the namespace sandbox cannot be set up (a runner without the prerequisites), --require-isolation fails the step (exit 4) with an ::error saying why, and writes no SARIF, so upload-sarif is skipped', async () => {
      const install = steps.find((s) => s.name === 'Install dependencies, scripts sandboxed') as WorkflowStep
      const dir = path.join(root, 'github-no-sandbox')
      await mkdir(dir)
      for (const file of ['package.json', 'package-lock.json', '.npmrc', 'exfil-targets.json', path.basename(tarball)]) await copyFile(path.join(project.dir, file), path.join(dir, file))
      const { result } = await runWorkflowStep(install, dir, 'no-sandbox', noNamespaces())
      expect(result.code, shown(result.stderr + result.stdout)).toBe(4)
      expect(obeyed(result.stderr)).toEqual([expect.stringMatching(/^::error title=safe-install%3A namespace sandbox required::the namespace sandbox could not be set up: /)])
      expect(existsSync(path.join(dir, 'safe-install.sarif'))).toBe(false)
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false)
    })

    describe.skipIf(!sandbox)('the install step, with the namespace sandbox (bubblewrap works here)', () => {
      const install = (): StepOutcome => step('Install dependencies, scripts sandboxed')

      it('fails the job (exit 1) and annotates the stealer\'s entry in package-lock.json with an ::error', () => {
        const { result } = install()
        expect(result.code, shown(result.stderr + result.stdout)).toBe(1)
        const line = lockLine(lock, 'exfil-token')
        expect(line).toBeGreaterThan(1)
        const errors = obeyed(result.stdout).filter((a) => a.startsWith('::error '))
        expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^::error title=[a-z-]+%3A exfil-token@1\\.0\\.0,file=package-lock\\.json,line=${line}::`)))
        // What doctor predicted is what the install got, and what the README says hosted runners get.
        const predicted = /^an install here gets (isolation: .+)$/m.exec(step('Isolation layers on this runner').result.stdout)?.[1]
        expect(predicted).toMatch(/^isolation: bwrap \(network namespace, filesystem namespace, pid namespace, tracer (strace|preload)\)$/)
        expect(result.stdout).toContain(`\n${predicted ?? 'no prediction'}\n`)
        if (predicted?.endsWith('tracer strace)')) expect(readFileSync(path.join(EXAMPLES, 'github-actions', 'README.md'), 'utf8')).toContain(`\`${predicted}\``)
      })

      it('appends a Markdown section to the step summary', () => {
        expect(install().summary).toMatch(/^## safe-install ci: \d+ errors?, [^]*\*\*Isolation in force:\*\* bwrap[^]*exfil&#45;token/)
      })

      it('writes safe-install.sarif where upload-sarif and hashFiles() look: valid SARIF 2.1.0 with a result at the stealer\'s lockfile line', async () => {
        const upload = job.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))
        const file = String(upload?.with?.['sarif_file'] ?? '')
        expect(upload?.if).toContain(`hashFiles('${file}')`)
        const sarif = JSON.parse(await readFile(path.join(project.dir, file), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; message: { text: string }; locations?: Array<{ physicalLocation?: unknown }> }> }> }
        expect(sarifSchemaErrors(sarif)).toEqual([])
        const located = sarif.runs[0]?.results.filter((r) => r.message.text.includes('exfil-token')).map((r) => r.locations?.[0]?.physicalLocation)
        expect(located).toContainEqual({ artifactLocation: { uri: 'package-lock.json' }, region: { startLine: lockLine(lock, 'exfil-token') } })
      })

      it('writes the JUnit and JSON reports; every path upload-artifact keeps exists', async () => {
        const keep = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))
        const paths = String(keep?.with?.['path'] ?? '').split('\n').map((p) => p.trim()).filter((p) => p !== '')
        expect(paths).toEqual(['safe-install.sarif', 'safe-install.xml', 'safe-install.json'])
        for (const p of paths) expect(existsSync(path.join(project.dir, p)), p).toBe(true)
        const junit = parseXml(await readFile(path.join(project.dir, 'safe-install.xml'), 'utf8'))
        expect(junitProblems(junit)).toEqual([])
        expect(failingCases(junit)).toContain('exfil-token@1.0.0 postinstall')
        const report = await readJson<Report>(path.join(project.dir, 'safe-install.json'))
        expect(validateReport(report)).toEqual({ kind: 'valid' })
        expect(report.command).toBe('ci')
        expect(report.isolation.backend).toBe('bwrap')
      })

      it('nothing reached the listener; the stealer found canaries, never the planted tokens', async () => {
        expect(received).toEqual([])
        const results = await stealerResults(project.dir)
        expect(results.viaProxy.status === undefined || results.viaProxy.status >= 400).toBe(true)
        expect(results.direct.status).toBeUndefined()
        const loot = JSON.stringify(results.loot)
        expect(loot).toMatch(/npm_[A-Za-z0-9]{36}/)
        for (const secret of planted) expect(loot).not.toContain(secret)
      })
    })
  })

  describe('GitLab CI: the job\'s safe-install lines in a simulated job', () => {
    const pipeline = readYaml<Record<string, unknown>>(GITLAB_FILE)
    const job = pipeline['safe-install'] as GitlabJob
    const lines = [...(job.before_script ?? []), ...job.script].filter((line) => line.includes('safe-install'))
    let project: TestProject
    let ran: Array<StepOutcome & { line: string }> = []

    /** The job's variables, the README's tarball, and what GitLab Runner sets in every job. */
    const jobEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
      ...project.env, ...job.variables, SAFE_INSTALL: `./${path.basename(tarball)}`,
      GITLAB_CI: 'true', CI: 'true', CI_PROJECT_DIR: project.dir, CI_JOB_NAME: 'safe-install', CI_JOB_TOKEN: CI_JOB_TOKEN, ...extra,
    })

    /** Each line in bash with `set -eo pipefail` in CI_PROJECT_DIR, as GitLab Runner's bash shell does; the job stops at the first failure. */
    const runJob = async (env: Record<string, string>, label: string): Promise<Array<StepOutcome & { line: string }>> => {
      const out: Array<StepOutcome & { line: string }> = []
      for (const line of lines) {
        const before = fileHashes(project.dir)
        const result = await timed(`gitlab ${label} ${line.split(' ').slice(4, 6).join(' ')}`, () =>
          run('bash', ['-c', `set -eo pipefail\n${line}`], { cwd: project.dir, env, timeoutMs: 180_000 }))
        out.push({ line, result, summary: '', before, after: fileHashes(project.dir) })
        if (result.code !== 0) break
      }
      return out
    }

    beforeAll(async () => {
      // dump-env has no allowScripts entry: unreviewed.
      project = await stealerProject('gitlab', registry as Registry, { 'dump-env': '1.0.0' })
      ran = await runJob(jobEnv(), 'default')
    }, 400_000)

    it('runs safe-install doctor (before_script) and safe-install ci (script); only the apt-get lines are left out', () => {
      expect(lines.map((line) => line.split(/\s+/).slice(4, 6).join(' '))).toEqual(['safe-install doctor', 'safe-install ci'])
      expect([...(job.before_script ?? []), ...job.script].filter((line) => !lines.includes(line)).every((line) => line.startsWith('apt-get '))).toBe(true)
      expect(job.variables?.['SAFE_INSTALL']).toMatch(/^safe-install@\d+\.\d+\.\d+$/)
      expect(job.variables?.['SAFE_INSTALL_REQUIRE']).toBe('')
    })

    it.skipIf(!sandbox)('the job fails at the ci line (exit 1) after doctor passed, and says which isolation was in force; no GitHub workflow command is printed', () => {
      expect(ran.map((r) => r.result.code), shown(ran.map((r) => r.result.stderr + r.result.stdout).join('\n'))).toEqual([0, 1])
      const ci = ran[1]?.result
      expect(ci?.stdout).toContain('isolation: bwrap (network namespace, filesystem namespace, pid namespace, tracer ')
      expect(obeyed(`${ci?.stdout ?? ''}\n${ci?.stderr ?? ''}`)).toEqual([])
    })

    it.skipIf(!sandbox)('writes the file artifacts:reports:junit names: JUnit GitLab can read, one case per install script, the stealer\'s a failed test', async () => {
      const file = job.artifacts?.reports?.junit ?? ''
      expect(file).toBe('safe-install.xml')
      expect(ran[1]?.line).toContain(`--junit ${file}`)
      const junit = parseXml(await readFile(path.join(project.dir, file), 'utf8'))
      expect(junitProblems(junit)).toEqual([])
      expect(findAll(junit, 'testcase').map((c) => `${c.attrs['classname']} ${c.attrs['name']}`).sort())
        .toEqual(['benign-postinstall@1.0.0 postinstall', 'dump-env@1.0.0 postinstall', 'exfil-token@1.0.0 postinstall'])
      expect(failingCases(junit)).toEqual(['exfil-token@1.0.0 postinstall'])
      expect(findAll(junit, 'property').map((p) => p.attrs['value'])).toContain('GitLab CI')
    })

    it.skipIf(!sandbox)('writes the file artifacts:reports:codequality names: the stealer\'s findings at its lockfile line, for the merge request widget', async () => {
      const file = job.artifacts?.reports?.codequality ?? ''
      expect(file).toBe('gl-code-quality.json')
      expect(ran[1]?.line).toContain(`--codequality ${file}`)
      const issues = JSON.parse(await readFile(path.join(project.dir, file), 'utf8')) as Array<{ check_name: string; severity: string; fingerprint: string; location: { path: string; lines: { begin: number } } }>
      const line = lockLine(await readFile(path.join(project.dir, 'package-lock.json'), 'utf8'), 'exfil-token')
      const stealer = issues.filter((i) => i.location.lines.begin === line)
      expect(stealer.length).toBeGreaterThan(0)
      expect(stealer.every((i) => i.location.path === 'package-lock.json')).toBe(true)
      expect(stealer.some((i) => i.severity === 'critical')).toBe(true)
      expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length)
    })

    it.skipIf(!sandbox)('keeps what artifacts:paths lists, also when the job failed (when: always): every file exists; the JSON report is valid', async () => {
      expect(job.artifacts?.when).toBe('always')
      for (const p of job.artifacts?.paths ?? []) expect(existsSync(path.join(project.dir, p)), p).toBe(true)
      expect(validateReport(await readJson<Report>(path.join(project.dir, 'safe-install.json')))).toEqual({ kind: 'valid' })
    })

    it.skipIf(!sandbox)('with user namespaces: nothing reached the listener; the unreviewed script ran in the sandbox and saw neither CI_JOB_TOKEN nor the planted tokens', async () => {
      expect(received).toEqual([])
      const env = readFileSync(path.join(project.dir, 'node_modules', 'dump-env', 'env.json'), 'utf8')
      for (const secret of [...planted, CI_JOB_TOKEN]) expect(env).not.toContain(secret)
      const loot = JSON.stringify((await stealerResults(project.dir)).loot)
      for (const secret of planted) expect(loot).not.toContain(secret)
    })

    it('Docker executor with default settings (no user namespaces): a warning, isolation none, the unreviewed script skipped; a direct connection gets out, as the README warns, carrying canaries only', async () => {
      const mark = received.length
      const weak = await runJob(jobEnv(noNamespaces()), 'no-namespaces')
      expect(weak.map((r) => r.result.code), shown(weak.map((r) => r.result.stderr + r.result.stdout).join('\n'))).toEqual([0, 1])
      const ci = weak[1]?.result
      expect(ci?.stdout).toContain('isolation: none (env scrub, decoy home and egress proxy variables only')
      expect(`${ci?.stderr ?? ''}${ci?.stdout ?? ''}`).toMatch(/reduced isolation|namespace sandbox/i)
      const report = await readJson<Report>(path.join(project.dir, 'safe-install.json'))
      expect(report.isolation.backend).toBe('none')
      expect(report.packages.find((p) => p.name === 'dump-env')?.scripts.map((s) => s.outcome)).toEqual(['skipped'])
      expect(existsSync(path.join(project.dir, 'node_modules', 'dump-env', 'env.json'))).toBe(false)
      const results = await stealerResults(project.dir)
      expect(results.viaProxy.status === undefined || results.viaProxy.status >= 400).toBe(true)
      const leaked = received.slice(mark)
      expect(results.direct.status).toBe(200)
      expect(leaked).toHaveLength(1)
      for (const secret of planted) expect(leaked.join('\n')).not.toContain(secret)
    })
  })

  describe('Docker: the deps stage of the Dockerfile, re-enacted step by step', () => {
    const dockerfile = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'))
    const stage = dockerfile.stages.find((s) => s.name === 'deps')
    const instructions = stage?.instructions ?? []
    const runs = instructions.filter((i) => i.keyword === 'RUN')
    const steps = runs.filter((i) => i.args.startsWith('safe-install '))
    const installTool = runs.find((i) => i.args.startsWith('npm install --global'))
    const stageEnv: Record<string, string> = Object.assign({}, ...instructions.filter((i) => i.keyword === 'ENV').map((i) => assignments(i.args)))
    /** The commented step-3 line for builders with the insecure entitlement. */
    const insecureLine = (stage?.comments ?? []).find((c) => c.startsWith('RUN '))
    let prefix: string

    /** A RUN step's environment: the image's PATH with the global prefix, root's HOME, the stage's ENV with this machine's Node.js headers. */
    const stepEnv = (home: string, extra: Record<string, string> = {}): Record<string, string> => ({
      ...stageEnv,
      // node:*-bookworm-slim installs Node.js under /usr/local, where the Dockerfile points node-gyp; here it is elsewhere.
      ...(stageEnv['npm_config_nodedir'] === undefined ? {} : { npm_config_nodedir: localNodedir() }),
      PATH: `${prefix}/bin:${SBIN_PATH}`,
      HOME: home,
      // The image has no global npmrc; this machine's must not be read.
      npm_config_globalconfig: path.join(home, 'no-global-npmrc'),
      LANG: 'C.UTF-8',
      ...extra,
    })

    /** A RUN instruction in shell form, with its flags: a secret mount at root's ~/.npmrc, --network=none as a namespace with only loopback up. */
    const runStep = async (instruction: Pick<DockerInstruction, 'flags' | 'args'>, build: { home: string; app: string; secret: string }, extra: Record<string, string> = {}): Promise<RunResult> => {
      const mount = flagValue(instruction, 'mount')
      const mountOptions = Object.fromEntries((mount ?? '').split(',').filter((o) => o !== '').map((o) => o.split('=') as [string, string]))
      const secretFile = path.join(build.home, '.npmrc')
      if (mount !== undefined) {
        expect(mountOptions).toEqual({ type: 'secret', id: 'npmrc', target: '/root/.npmrc' })
        await writeFile(secretFile, build.secret)
      }
      const network = flagValue(instruction, 'network')
      const argv = network === 'none'
        ? [...NO_NETWORK, 'sh', '-c', 'ip link set lo up && exec sh -c "$1"', 'sh', instruction.args]
        : ['sh', '-c', instruction.args]
      try {
        return await timed(`docker ${instruction.args}`, () => run(argv[0] ?? '', argv.slice(1), { cwd: build.app, env: stepEnv(build.home, extra), timeoutMs: 180_000 }))
      } finally {
        await rm(secretFile, { force: true })
      }
    }

    /** WORKDIR /app and COPY package.json package-lock.json: a project whose lockfile points at the registry that needs the token. */
    const newBuild = async (label: string, dependencies: Record<string, string>, allowScripts: Record<string, boolean>): Promise<{ home: string; app: string; secret: string; source: TestProject }> => {
      const source = await prepareProject('basic', root, `docker-${label}-source`, auth, { dependencies, allowScripts, files: { 'exfil-targets.json': `${JSON.stringify({ url: targetUrl })}\n` } })
      const locked = await npm(source, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])
      expect(locked.code, locked.stderr).toBe(0)
      const home = path.join(root, `docker-${label}`, 'root')
      const app = path.join(root, `docker-${label}`, 'app')
      await mkdir(home, { recursive: true })
      await mkdir(app, { recursive: true })
      const copy = instructions.find((i) => i.keyword === 'COPY' && i.flags.length === 0)
      for (const file of (copy?.args ?? '').split(/\s+/).slice(0, -1)) await copyFile(path.join(source.dir, file), path.join(app, file))
      // The build secret: the user's ~/.npmrc, here the registry and its token.
      const secret = `registry=${auth.url}\n${nerfDart(auth.url)}:_authToken=${auth.token ?? ''}\n`
      return { home, app, secret, source }
    }

    beforeAll(async () => {
      prefix = path.join(root, 'docker-usr-local')
      // RUN npm install --global --ignore-scripts "$SAFE_INSTALL", built with --build-arg SAFE_INSTALL=<the tarball> (README);
      // npm's default registry is the loopback one holding safe-install's dependencies. Built once, like a cached layer.
      const home = path.join(root, 'docker-tool-home')
      await mkdir(home, { recursive: true })
      const r = await timed('docker npm install -g', () => run('sh', ['-c', installTool?.args ?? 'false'], {
        cwd: home,
        env: stepEnv(home, { SAFE_INSTALL: tarball, npm_config_prefix: prefix, npm_config_registry: (registry as Registry).url }),
        timeoutMs: 180_000,
      }))
      expect(r.code, r.stderr).toBe(0)
    }, 300_000)

    it('has the three safe-install steps the README describes, in order: ci --ignore-scripts with the secret, audit, rebuild without network', () => {
      expect(steps.map((s) => s.args)).toEqual(['safe-install ci --ignore-scripts', 'safe-install audit', 'safe-install rebuild'])
      expect(flagValue(steps[0] as DockerInstruction, 'mount')).toBe('type=secret,id=npmrc,target=/root/.npmrc')
      expect(flagValue(steps[1] as DockerInstruction, 'mount')).toBe('type=secret,id=npmrc,target=/root/.npmrc')
      expect(flagValue(steps[2] as DockerInstruction, 'network')).toBe('none')
      expect(flagValue(steps[2] as DockerInstruction, 'mount')).toBeUndefined()
      expect(instructions.some((i) => i.keyword === 'USER')).toBe(false)
      expect(stageEnv['npm_config_nodedir']).toBe('/usr/local')
      expect(insecureLine).toBe('RUN --security=insecure --network=none safe-install rebuild --require-isolation')
    })

    describe('a build whose approved scripts are benign', () => {
      const approved = { 'benign-postinstall': true, 'native-addon': true, 'order-top': true, 'order-mid': true, 'order-leaf': true }
      let build: Awaited<ReturnType<typeof newBuild>>
      const results: RunResult[] = []
      let afterFetch: Map<string, string>
      /** The report step 1 left (node_modules/.cache/safe-install/last-report.json), before step 3 replaced it. */
      let fetchReport: Report
      let afterRebuild: Map<string, string>
      let leftBehind: string[]
      const modules = (): string => path.join(build.app, 'node_modules')

      beforeAll(async () => {
        build = await newBuild('benign', { 'benign-postinstall': '1.0.0', 'native-addon': '1.0.0', 'order-top': '1.0.0' }, approved)
        results.push(await runStep(steps[0] as DockerInstruction, build))
        afterFetch = fileHashes(modules())
        fetchReport = await readJson<Report>(path.join(modules(), '.cache', 'safe-install', 'last-report.json'))
        // Whatever step 1 left in the layer (the app and root's home) must not hold the registry token.
        leftBehind = [...fileHashes(build.app).keys()].map((f) => path.join(build.app, f)).concat([...fileHashes(build.home).keys()].map((f) => path.join(build.home, f)))
          .filter((file) => readFileSync(file).includes(auth.token ?? 'no token'))
        if (results[0]?.code !== 0) return
        results.push(await runStep(steps[1] as DockerInstruction, build))
        if (results[1]?.code !== 0 || !netns) return
        results.push(await runStep(steps[2] as DockerInstruction, build, noNamespaces()))
        afterRebuild = fileHashes(modules())
      }, 400_000)

      const output = (i: number): string => shown(`${results[i]?.stderr ?? ''}${results[i]?.stdout ?? ''}`)

      it('step 1 installs exactly the lockfile with the secret, runs no install script but lists them, and leaves the token in no file', () => {
        expect(results[0]?.code, output(0)).toBe(0)
        // Reported as skipped, not as "No install scripts.": step 3 will run them.
        expect(results[0]?.stdout).toContain('0 scripts run, 11 skipped, 0 failed · 0 errors, 0 warnings')
        expect(validateReport(fetchReport)).toEqual({ kind: 'valid' })
        expect(fetchReport.packages.flatMap((p) => p.scripts.map((s) => `${p.name} ${s.event} ${s.outcome}`)).sort()).toEqual([
          'benign-postinstall postinstall skipped', 'native-addon install skipped',
          ...['order-leaf', 'order-mid', 'order-top'].flatMap((name) => ['install', 'postinstall', 'preinstall'].map((event) => `${name} ${event} skipped`)),
        ])
        for (const name of Object.keys(approved)) expect(afterFetch.has(`${name}/package.json`), name).toBe(true)
        const products = [...afterFetch.keys()].filter((f) => /(^|\/)(built\.txt|stamps\.log)$|^native-addon\/build\//.test(f))
        expect(products).toEqual([])
        expect(leftBehind).toEqual([])
      })

      it('step 2 reviews the lockfile offline and passes: every package from the configured registry, the approved scripts known', () => {
        expect(results[1]?.code, output(1)).toBe(0)
        expect(results[1]?.stdout).toMatch(/^5 lockfile entries, 5 with install scripts: 5 approved, 0 unreviewed, 0 denied\.$/m)
      })

      it('step 2 needs the secret when the registry is set only there: without it every package is from an unknown host (exit 1)', async () => {
        const withoutSecret = await runStep({ flags: [], args: (steps[1] as DockerInstruction).args }, build)
        expect(withoutSecret.code, shown(withoutSecret.stdout)).toBe(1)
        expect(withoutSecret.stdout.match(/^ {2}lockfile-untrusted-host {2}/gm)).toHaveLength(5)
      })

      it.skipIf(!netns)('step 3, with no network and no namespace sandbox (a plain docker build), runs every approved script; the report says isolation none', async () => {
        expect(results[2]?.code, output(2)).toBe(0)
        expect(results[2]?.stdout).toContain('isolation: none (env scrub, decoy home and egress proxy variables only')
        expect(existsSync(path.join(modules(), 'benign-postinstall', 'built.txt'))).toBe(true)
        const stamps = ['order-leaf', 'order-mid', 'order-top'].flatMap((name) =>
          readFileSync(path.join(modules(), name, 'stamps.log'), 'utf8').trim().split('\n').map((line) => `${line.split(' ')[2] ?? ''} ${line.split(' ')[0] ?? ''}`))
        expect(stamps.sort()).toEqual(['order-leaf', 'order-mid', 'order-top'].flatMap((name) => ['install', 'postinstall', 'preinstall'].map((event) => `${name} ${event}`)))
        // node-gyp built the addon offline, against the headers npm_config_nodedir names.
        const hello = await run(process.execPath, ['-e', 'process.stdout.write(require("native-addon").hello())'], { cwd: build.app })
        expect(hello.stdout, hello.stderr).toBe('world')
      })

      it.skipIf(!netns)('the node_modules the image copies is what npm ci gives (safe-install\'s own last report aside)', async () => {
        const byNpm = await npm(build.source, ['ci', '--no-audit', '--no-fund'])
        expect(byNpm.code, byNpm.stderr).toBe(0)
        const theirs = fileHashes(path.join(build.source.dir, 'node_modules'))
        const ours = new Map([...afterRebuild].filter(([file]) => !file.startsWith('.cache/safe-install/')))
        expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort())
        // Files that came from the tarballs are byte-identical; script products (timestamps, build trees) exist in both.
        const fromTarballs = [...afterFetch.keys()].filter((file) => !file.startsWith('.cache/'))
        expect(fromTarballs.length).toBeGreaterThan(10)
        for (const file of fromTarballs) expect(ours.get(file), file).toBe(theirs.get(file))
      })

      it.skipIf(!sandbox || !netns)('the commented alternative for builders with the insecure entitlement: rebuild --require-isolation in the namespace sandbox, without network', async () => {
        const r = await runStep({ flags: ['--network=none'], args: (insecureLine ?? '').replace(/^RUN (--[a-z]+=\S+\s+)*/, '') }, build)
        expect(r.code, shown(r.stderr + r.stdout)).toBe(0)
        expect(r.stdout).toContain('isolation: bwrap (network namespace, filesystem namespace, pid namespace, tracer ')
        expect(existsSync(path.join(modules(), 'native-addon', 'build', 'Release', 'addon.node'))).toBe(true)
      })
    })

    describe('a build with the stealer approved', () => {
      let build: Awaited<ReturnType<typeof newBuild>>
      const results: RunResult[] = []

      beforeAll(async () => {
        build = await newBuild('stealer', { 'exfil-token': '1.0.0' }, { 'exfil-token': true })
        // Where the stealer sends its loot (a real one carries its address in its code).
        await copyFile(path.join(build.source.dir, 'exfil-targets.json'), path.join(build.app, 'exfil-targets.json'))
        for (const step of steps.slice(0, 2)) results.push(await runStep(step, build))
      }, 300_000)

      it('step 2 stops the build (exit 1): the audit reads what the approved script would do', () => {
        expect(results[0]?.code, shown(results[0]?.stderr ?? '')).toBe(0)
        expect(results[1]?.code, shown(`${results[1]?.stderr ?? ''}${results[1]?.stdout ?? ''}`)).toBe(1)
        expect(results[1]?.stdout).toMatch(/^Errors \(\d+\)\n(?:.*\n)*?  static-credential-path  exfil-token@1\.0\.0: Refers to ~\/\.npmrc/m)
      })

      it.skipIf(!netns)('step 3 run anyway (as with audit --fail-on none): no network at all, the stealer reaches the listener neither through the proxy nor directly', async () => {
        const mark = received.length
        const r = await runStep(steps[2] as DockerInstruction, build, noNamespaces())
        expect(r.stdout, shown(r.stderr + r.stdout)).toContain('isolation: none')
        expect(existsSync(path.join(build.app, 'node_modules', 'exfil-token', 'results.json')), shown(r.stderr + r.stdout)).toBe(true)
        const results = await stealerResults(build.app)
        expect(results.viaProxy.status === undefined || results.viaProxy.status >= 400, JSON.stringify(results)).toBe(true)
        expect(results.direct.error, JSON.stringify(results)).toBe('ECONNREFUSED')
        expect(received.slice(mark)).toEqual([])
        expect(r.code, shown(r.stderr + r.stdout)).toBe(1)
      })
    })
  })
})

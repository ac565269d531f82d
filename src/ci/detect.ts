/** CI services safe-install recognises. Only GitHub Actions gets output of its own (annotations, step summary). */
export type CiProvider = 'github-actions' | 'gitlab-ci' | 'azure-pipelines' | 'circleci' | 'buildkite' | 'jenkins' | 'generic'

export type CiDetection =
  | { readonly kind: 'none' }
  | { readonly kind: 'ci'; readonly provider: CiProvider; readonly name: string }

type Env = Readonly<Record<string, string | undefined>>

const isTrue = (value: string | undefined): boolean => value !== undefined && value.toLowerCase() === 'true'

/** `CI=true`, `CI=1` or any other value but empty, `false` and `0` (what most services and tools accept). */
const isSet = (value: string | undefined): boolean =>
  value !== undefined && value !== '' && value.toLowerCase() !== 'false' && value !== '0'

/** The variables each service documents as always set in its jobs, most specific first. */
const PROVIDERS: ReadonlyArray<readonly [CiProvider, string, (env: Env) => boolean]> = [
  ['github-actions', 'GitHub Actions', (env) => isTrue(env['GITHUB_ACTIONS'])],
  ['gitlab-ci', 'GitLab CI', (env) => isTrue(env['GITLAB_CI'])],
  ['azure-pipelines', 'Azure Pipelines', (env) => isTrue(env['TF_BUILD'])],
  ['circleci', 'CircleCI', (env) => isTrue(env['CIRCLECI'])],
  ['buildkite', 'Buildkite', (env) => isTrue(env['BUILDKITE'])],
  ['jenkins', 'Jenkins', (env) => isSet(env['JENKINS_URL']) && isSet(env['BUILD_ID'])],
  ['generic', 'CI', (env) => isSet(env['CI'])],
]

/**
 * Which CI service the process runs in, from its environment only (pure). A service is
 * recognised by the variable it sets itself (`GITHUB_ACTIONS=true`, `GITLAB_CI=true`,
 * `TF_BUILD=True`, `CIRCLECI=true`, `BUILDKITE=true`, `JENKINS_URL` with `BUILD_ID`), before the
 * generic `CI`, so a `CI=false` set by a user does not hide GitHub Actions.
 */
export const detectCi = (env: Env): CiDetection => {
  for (const [provider, name, test] of PROVIDERS) {
    if (test(env)) return { kind: 'ci', provider, name }
  }
  return { kind: 'none' }
}

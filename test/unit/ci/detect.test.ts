import { describe, expect, it } from 'vitest'
import { detectCi } from '../../../src/ci/detect.js'

describe('detectCi', () => {
  it.each([
    [{ GITHUB_ACTIONS: 'true', CI: 'true' }, 'github-actions', 'GitHub Actions'],
    [{ GITLAB_CI: 'true', CI: 'true' }, 'gitlab-ci', 'GitLab CI'],
    [{ TF_BUILD: 'True' }, 'azure-pipelines', 'Azure Pipelines'],
    [{ CIRCLECI: 'true', CI: 'true' }, 'circleci', 'CircleCI'],
    [{ BUILDKITE: 'true', CI: 'true' }, 'buildkite', 'Buildkite'],
    [{ JENKINS_URL: 'https://jenkins.example.test/', BUILD_ID: '42' }, 'jenkins', 'Jenkins'],
    [{ CI: 'true' }, 'generic', 'CI'],
    [{ CI: '1' }, 'generic', 'CI'],
    [{ CI: 'woodpecker' }, 'generic', 'CI'],
  ] as const)('recognises %j', (env, provider, name) => {
    expect(detectCi(env)).toEqual({ kind: 'ci', provider, name })
  })

  it('prefers the service variable over a CI=false set by the user', () => {
    expect(detectCi({ GITHUB_ACTIONS: 'true', CI: 'false' })).toMatchObject({ provider: 'github-actions' })
  })

  it.each([
    [{}],
    [{ CI: '' }],
    [{ CI: 'false' }],
    [{ CI: '0' }],
    [{ GITHUB_ACTIONS: 'false' }],
    [{ GITHUB_ACTIONS: '' }],
    [{ JENKINS_URL: 'https://jenkins.example.test/' }],
    [{ GITLAB_CI: undefined }],
  ])('finds no CI in %j', (env) => {
    expect(detectCi(env)).toEqual({ kind: 'none' })
  })
})

/**
 * Validation of CI configuration files against the schemas editors and the services' own linters
 * use, vendored in test/fixtures/schemas/ (see its README for sources and licences): SchemaStore's
 * GitHub workflow schema and SchemaStore's GitLab CI schema. Both declare draft-07, Ajv's default
 * dialect; the helper refuses a file that declares another one rather than read it in the wrong one.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { FIXTURES_DIR } from './fixtures.js'
import { addStrictFormats } from './json-formats.js'

export const GITHUB_WORKFLOW_SCHEMA_FILE = path.join(FIXTURES_DIR, 'schemas', 'github-workflow.json')
export const GITLAB_CI_SCHEMA_FILE = path.join(FIXTURES_DIR, 'schemas', 'gitlab-ci.json')

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#'

const compile = (file: string): ValidateFunction => {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  if (schema['$schema'] !== DRAFT_07) throw new Error(`${path.basename(file)}: unexpected $schema ${String(schema['$schema'])}`)
  // strict: false because neither schema was written for Ajv's strict mode (properties without
  // `type`, `required` of properties declared in a sibling, editor keywords such as
  // markdownDescription); it changes no validation result.
  return addStrictFormats(new Ajv({ allErrors: true, strict: false })).compile(schema)
}

const describe = (error: ErrorObject): string => `${error.instancePath || '(root)'}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`

const validator = (file: string): ((doc: unknown) => string[]) => {
  let compiled: ValidateFunction | undefined
  return (doc) => {
    compiled ??= compile(file)
    return compiled(doc) ? [] : (compiled.errors ?? []).map(describe)
  }
}

/** Errors of a parsed GitHub Actions workflow; `[]` when it is valid. */
export const workflowSchemaErrors = validator(GITHUB_WORKFLOW_SCHEMA_FILE)

/** Errors of a parsed .gitlab-ci.yml; `[]` when it is valid. */
export const gitlabCiSchemaErrors = validator(GITLAB_CI_SCHEMA_FILE)

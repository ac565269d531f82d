import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { REPO_ROOT } from './fixtures.js'
import * as path from 'node:path'

/** schemas/doctor.schema.json, compiled strictly: what `doctor --format json` must match. */
export const validateDoctor = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true })
  .compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'doctor.schema.json'), 'utf8')) as object)

import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv, type ErrorObject } from 'ajv'
import { SafeInstallError } from '../errors.js'
import type { PackageGrant, Policy } from './policy.js'

const POLICIES_DIR = new URL('../../policies/', import.meta.url)

interface PolicyFile {
  extends?: 'default' | 'strict'
  unreviewed?: 'sandbox' | 'skip' | 'fail'
  timeoutSec?: number
  network?: { allow?: string[] }
  env?: { pass?: string[] }
  packages?: Record<string, { network?: string[]; write?: string[]; env?: string[]; timeoutSec?: number; pin?: string }>
}

const describe = (error: ErrorObject): string => {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\//g, '.')
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown field "${String(error.params['additionalProperty'])}"`
  }
  if (error.keyword === 'enum') {
    return `${where}: must be one of ${JSON.stringify(error.params['allowedValues'])}`
  }
  return `${where}: ${error.message ?? 'invalid'}`
}

const validatePolicyFile = (value: unknown, file: string): PolicyFile => {
  const schema = JSON.parse(readFileSync(new URL('policy.schema.json', POLICIES_DIR), 'utf8')) as object
  const ajv = new Ajv({ allErrors: false, strict: false })
  const validate = ajv.compile<PolicyFile>(schema)
  if (!validate(value)) {
    const first = validate.errors?.[0]
    throw new SafeInstallError('EPOLICY', `${file}: ${first === undefined ? 'invalid policy' : describe(first)}`,
      'fix that field (the schema is policies/policy.schema.json in the safe-install package)')
  }
  return value
}

const readPreset = (name: 'default' | 'strict'): PolicyFile =>
  JSON.parse(readFileSync(new URL(`${name}.json`, POLICIES_DIR), 'utf8')) as PolicyFile

const toGrant = (g: NonNullable<PolicyFile['packages']>[string]): PackageGrant => ({
  network: g.network ?? [],
  write: g.write ?? [],
  env: g.env ?? [],
  ...(g.timeoutSec === undefined ? {} : { timeoutSec: g.timeoutSec }),
  ...(g.pin === undefined ? {} : { pin: g.pin }),
})

const merge = (preset: PolicyFile, own: PolicyFile, source: string): Policy => {
  const unreviewed = own.unreviewed ?? preset.unreviewed
  const packages: Record<string, PackageGrant> = {}
  for (const [key, grant] of Object.entries({ ...preset.packages, ...own.packages })) packages[key] = toGrant(grant)
  return {
    source,
    ...(unreviewed === undefined ? {} : { unreviewed }),
    timeoutSec: own.timeoutSec ?? preset.timeoutSec ?? 600,
    network: [...(preset.network?.allow ?? []), ...(own.network?.allow ?? [])],
    envPass: [...(preset.env?.pass ?? []), ...(own.env?.pass ?? [])],
    packages,
  }
}

/**
 * Load the policy: `--policy <file>` (must exist), else ./safe-install.policy.json when present,
 * else the built-in `default` preset. Fails closed: a named or present file that does not parse
 * or validate stops the run (exit 2) naming the field.
 */
export const loadPolicy = async (options: { readonly explicit?: string; readonly prefix: string }): Promise<Policy> => {
  const file = options.explicit ?? join(options.prefix, 'safe-install.policy.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.explicit === undefined) {
      return merge(readPreset('default'), {}, 'preset:default')
    }
    throw new SafeInstallError('EPOLICY', `${file}: cannot read policy file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the --policy path')
  }
  return policyFromText(text, file)
}

/** A policy file's text, parsed, validated and merged over its preset; `file` names it in errors (EPOLICY). */
export const policyFromText = (text: string, file: string): Policy => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new SafeInstallError('EPOLICY', `${file}: not valid JSON (${(error as Error).message})`, 'fix the JSON syntax')
  }
  const own = validatePolicyFile(parsed, file)
  return merge(readPreset(own.extends ?? 'default'), own, file)
}

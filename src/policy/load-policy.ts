import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv, type ErrorObject } from 'ajv'
import { SafeInstallError } from '../errors.js'
import { mergeLayers, policyFileLayer, type PolicyFile } from './layers.js'
import type { Policy } from './policy.js'
import { POLICIES_DIR, presetsOf, readPreset } from './presets.js'

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

/**
 * The error to show of several (`extends` may be a name or a list, so a bad value fails both
 * branches): the deepest in the file (`extends.1` rather than `extends`), and at equal depth one
 * that is not merely "wrong type" for the other branch (`must NOT have duplicate items`).
 */
const mostSpecific = (errors: readonly ErrorObject[]): ErrorObject | undefined => {
  const score = (e: ErrorObject): number => e.instancePath.split('/').length * 2 + (e.keyword === 'type' || e.keyword === 'enum' ? 0 : 1)
  return errors.filter((e) => e.keyword !== 'anyOf')
    .reduce<ErrorObject | undefined>((best, e) => (best === undefined || score(e) > score(best) ? e : best), undefined)
}

const validatePolicyFile = (value: unknown, file: string): PolicyFile => {
  const schema = JSON.parse(readFileSync(new URL('policy.schema.json', POLICIES_DIR), 'utf8')) as object
  const ajv = new Ajv({ allErrors: false, strict: false })
  const validate = ajv.compile<PolicyFile>(schema)
  if (!validate(value)) {
    const first = mostSpecific(validate.errors ?? [])
    throw new SafeInstallError('EPOLICY', `${file}: ${first === undefined ? 'invalid policy' : describe(first)}`,
      'fix that field (the schema is policies/policy.schema.json in the safe-install package)')
  }
  return value
}

/**
 * Load the policy: `--policy <file>` (must exist), else ./safe-install.policy.json when present,
 * else the built-in `default` preset. The file is merged over the presets it `extends`, in order.
 * Fails closed: a named or present file that does not parse or validate stops the run (exit 2)
 * naming the field.
 */
export const loadPolicy = async (options: { readonly explicit?: string; readonly prefix: string }): Promise<Policy> => {
  const file = options.explicit ?? join(options.prefix, 'safe-install.policy.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.explicit === undefined) {
      return mergeLayers([readPreset('default')], 'preset:default')
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
  return mergeLayers([...presetsOf(own).map(readPreset), policyFileLayer(own, { kind: 'policy' })], file)
}

/**
 * Strict checks of the JSON Schema formats the vendored third-party schemas use (SARIF, GitHub
 * workflows, GitLab CI), for Ajv, which knows no format by itself (ajv-formats is not a dependency).
 */
import type { Ajv } from 'ajv'

/** RFC 3986 URI-reference: only unreserved, reserved and percent-encoded characters. */
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

const isUri = (value: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URI_REFERENCE.test(value) && URL.canParse(value)

const isRegex = (value: string): boolean => {
  try {
    new RegExp(value)
    return true
  } catch {
    return false
  }
}

/** Adds `uri`, `uri-reference`, `date-time` and `regex` to `ajv`; returns it. */
export const addStrictFormats = <T extends Ajv>(ajv: T): T => {
  ajv.addFormat('uri', isUri)
  ajv.addFormat('uri-reference', (value: string) => URI_REFERENCE.test(value))
  ajv.addFormat('date-time', (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)))
  ajv.addFormat('regex', isRegex)
  return ajv
}

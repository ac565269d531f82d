/**
 * What counts as a secret when deciding which environment variables a script may see.
 * Matching is deliberately broad: a false positive costs one grant in the policy file,
 * a false negative hands a credential to install-time code.
 */

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|KEY|AUTH|CREDENTIAL|SESSION|COOKIE|PRIVATE|_PAT$|^PAT_|SIGNATURE|CERT_PASS/i

/** True when a variable or config name suggests it holds a credential (`NPM_TOKEN`, `//host/:_authToken` ...). */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name) || name.startsWith('//')

const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}/,
  /\bgithub_pat_[A-Za-z0-9_]{40,}/,
  /\bnpm_[A-Za-z0-9]{30,}/,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
  /\bglpat-[A-Za-z0-9_-]{20,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bsk-[A-Za-z0-9_-]{20,}/,
  /\bAIza[A-Za-z0-9_-]{35}\b/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i,
]

/** True when a value has the shape of a known credential format or a URL carrying a password. */
export const looksSecretValue = (value: string): boolean =>
  SECRET_VALUE_PATTERNS.some((pattern) => pattern.test(value))

/** Error codes a user can cause; each maps to one exit status of DESIGN.md. */
export type ErrorCode =
  | 'EUSAGE'
  | 'ECONFIG'
  | 'EPOLICY'
  | 'ELOCKFILE'
  | 'EINSTALL'
  | 'EISOLATION'
  | 'EINTERRUPTED'

/** A failure the user caused or can fix; `hint` is the exact next step. */
export class SafeInstallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'SafeInstallError'
  }
}

/** The one table from error code to exit status (DESIGN.md "Exit codes"). */
export const exitCodeFor = (code: ErrorCode): number => {
  switch (code) {
    case 'EUSAGE':
    case 'ECONFIG':
    case 'EPOLICY':
    case 'ELOCKFILE':
      return 2
    case 'EINSTALL':
      return 3
    case 'EISOLATION':
      return 4
    case 'EINTERRUPTED':
      return 130
  }
}

export const EXIT_OK = 0
export const EXIT_FINDINGS = 1
export const EXIT_INTERNAL = 70

export const isSafeInstallError = (error: unknown): error is SafeInstallError =>
  error instanceof SafeInstallError

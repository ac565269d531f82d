/** What one sandboxed hook gets: a pure description, turned into an Invocation by a backend. */
export interface SandboxSpec {
  readonly command: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly timeoutMs: number
  /** A unique `name=value` planted in the hook's env, used to find processes that outlive it. */
  readonly marker: { readonly name: string; readonly value: string }
}

/** A process to start: never a shell string built by joining. */
export interface Invocation {
  readonly file: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
}

export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000
export const OUTPUT_LIMIT_BYTES = 64 * 1024
/** Processes one hook may have at once in its pid namespace; above it every one is killed (fork flood). */
export const PIDS_MAX = 1024
/** Largest file a hook may write (RLIMIT_FSIZE): a runaway download ends with SIGXFSZ instead of filling the disk. */
export const FILE_SIZE_MAX_BYTES = 2 * 1024 ** 3

/** The project's own lifecycle events that `install` (no specs) and `ci` run, in npm's order. */
export const ROOT_EVENTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'] as const

export interface HookPlan {
  /** A hook reached the broker: its number (1, 2 ...), which is also its id. */
  readonly arrived: () => number
  /** Arborist is about to build: `hooks` more are queued (Arborist session's `onBuild`). */
  readonly built: (hooks: number) => void
  /** The project's own scripts are about to run. */
  readonly rootStarting: () => void
  readonly runsRoot: boolean
}

/**
 * The count of hooks behind `onHooksPlanned`: each hook that reaches the broker, what each
 * Arborist build queues, and the project's own install scripts, which run after the build
 * (counted with the first build, or just before they run when there was none).
 */
export const hookPlan = (options: {
  /** Whether the project's own scripts run after the build (install without specs, ci). */
  readonly runsRoot: boolean
  /** The project's package.json, once Arborist has read it. */
  readonly rootPackage: () => Record<string, unknown>
  readonly onPlanned?: (total: number) => void
}): HookPlan => {
  const { runsRoot } = options
  let arrived = 0
  let expected = 0
  let rootCounted = false
  const rootHooks = (): number => {
    if (!runsRoot || rootCounted) return 0
    rootCounted = true
    const scripts = (options.rootPackage()['scripts'] ?? {}) as Record<string, unknown>
    return ROOT_EVENTS.filter((event) => typeof scripts[event] === 'string').length
  }
  const tell = (more: number): void => {
    expected = Math.max(expected, arrived) + more
    options.onPlanned?.(expected)
  }
  return {
    arrived: () => ++arrived,
    built: (hooks) => tell(hooks + rootHooks()),
    rootStarting: () => {
      if (!rootCounted) tell(rootHooks())
    },
    runsRoot,
  }
}


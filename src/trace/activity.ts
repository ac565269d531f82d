import type { EgressEvent } from '../types.js'

/**
 * What one hook was seen doing, kept for `--verbose` and bounded: the first few entries of each
 * kind and how many there were in all. Not part of the JSON report (its schema is fixed); the
 * findings carry what matters to a machine.
 */
export interface HookActivity {
  /** What the tracer saw; undefined when no tracer ran for the hook. */
  readonly trace: TraceSummary | undefined
  /** The hook's traffic through its egress proxy and DNS stub, in order. */
  readonly egress: BoundedList<EgressEvent>
}

/** The tracer's view of a hook, in the order first seen, each entry once. */
export interface TraceSummary {
  /** Programs run: their argv. */
  readonly processes: BoundedList<string>
  /** Files read outside the package, its tmp and the runtime (node, npm, system libraries). */
  readonly reads: BoundedList<string>
  /** Files written, created or removed outside the package and its tmp; a refused write names its errno. */
  readonly writes: BoundedList<string>
  /** Sockets opened other than to the egress proxy: `host:port`, or `unix <path>`. */
  readonly connections: BoundedList<string>
  /** Names looked up through the resolver API (the preload observer; strace sees sockets only). */
  readonly dns: BoundedList<string>
}

export interface BoundedList<T> {
  /** The first entries, at most the list's limit. */
  readonly items: readonly T[]
  /** How many there were in all (distinct entries for the trace). */
  readonly total: number
  /** Set when so many distinct entries came that `total` stopped counting: "at least". */
  readonly capped: boolean
}

/** Entries kept per list: --verbose shows at most this many per hook. */
export const ACTIVITY_ITEMS = 20
/** Distinct entries remembered per list, to count without repeating: past it, `capped`. */
const DISTINCT_MAX = 10_000
/** An entry longer than this (a long argv) is cut. */
const ENTRY_MAX = 300

/** A list that keeps its first entries and counts the rest; `distinct` drops repeats. */
export const createBoundedList = <T>(distinct: boolean, key: (item: T) => string = String): {
  readonly add: (item: T) => void
  readonly list: () => BoundedList<T>
} => {
  const items: T[] = []
  const seen = new Set<string>()
  let total = 0
  let capped = false
  return {
    add: (item) => {
      if (distinct) {
        const k = key(item)
        if (seen.has(k)) return
        if (seen.size >= DISTINCT_MAX) {
          capped = true
          return
        }
        seen.add(k)
      }
      total += 1
      if (items.length < ACTIVITY_ITEMS) items.push(item)
    },
    list: () => ({ items: [...items], total, capped }),
  }
}

/** The five lists of a trace summary, filled by the collector. */
export const createTraceSummary = (): {
  readonly process: (argv: readonly string[]) => void
  readonly read: (path: string) => void
  readonly write: (path: string, errno: string | undefined) => void
  readonly connection: (target: string) => void
  readonly dns: (name: string) => void
  readonly summary: () => TraceSummary
} => {
  const lists = {
    processes: createBoundedList<string>(true),
    reads: createBoundedList<string>(true),
    writes: createBoundedList<string>(true),
    connections: createBoundedList<string>(true),
    dns: createBoundedList<string>(true),
  }
  const cut = (text: string): string => (text.length > ENTRY_MAX ? `${text.slice(0, ENTRY_MAX)}…` : text)
  return {
    process: (argv) => lists.processes.add(cut(argv.join(' '))),
    read: (path) => lists.reads.add(cut(path)),
    write: (path, errno) => lists.writes.add(cut(errno === undefined ? path : `${path} (${errno})`)),
    connection: (target) => lists.connections.add(cut(target)),
    dns: (name) => lists.dns.add(cut(name)),
    summary: () => ({
      processes: lists.processes.list(),
      reads: lists.reads.list(),
      writes: lists.writes.list(),
      connections: lists.connections.list(),
      dns: lists.dns.list(),
    }),
  }
}

/** What the in-namespace bridge and the hook's egress proxy agree on. Kept tiny: the bridge starts per hook. */

/** The bridge POSTs the stub's DNS queries here on the proxy socket, one JSON line per query, before answering them. */
export const DNS_LOG_PATH = '/.safe-install/dns-log'

export interface DnsLogEntry {
  readonly name: string
  /** Query type name: A, AAAA, TXT, TYPE99 ... */
  readonly type: string
  /** What the stub answered: a loopback address, or nothing. */
  readonly answer: string | null
}

/** Ports captured inside the namespace; every other port has no route. */
export const CAPTURE_PORTS = { http: 80, https: 443 } as const

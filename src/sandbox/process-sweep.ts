import { readdirSync, readFileSync } from 'node:fs'
import type { EscapedProcess } from '../types.js'

interface ProcInfo {
  readonly pid: number
  readonly pgid: number
  readonly sid: number
  readonly command: string
}

const parseStat = (pid: number, stat: string): ProcInfo | undefined => {
  const close = stat.lastIndexOf(')')
  if (close < 0) return undefined
  const fields = stat.slice(close + 2).split(' ')
  const pgid = Number(fields[2])
  const sid = Number(fields[3])
  return { pid, pgid, sid, command: stat.slice(stat.indexOf('(') + 1, close) }
}

const readCmdline = (pid: number, fallback: string): string => {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    const cmd = raw.split('\0').filter(Boolean).join(' ')
    return cmd === '' ? fallback : cmd.slice(0, 300)
  } catch {
    return fallback
  }
}

/**
 * Find processes left behind by a hook: same process group or session as the hook's leader, or
 * carrying the hook's marker variable (which survives setsid/nohup/double fork unless the payload
 * clears its environment: only the pid namespace of the Linux backend closes that gap).
 */
export const findLeftovers = (leaderPid: number, marker: string): EscapedProcess[] => {
  if (process.platform !== 'linux') return []
  const found: EscapedProcess[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    try {
      const info = parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'))
      if (info === undefined) continue
      let hit = info.pgid === leaderPid || info.sid === leaderPid
      if (!hit) {
        hit = readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)
      }
      if (hit) found.push({ pid, command: readCmdline(pid, info.command) })
    } catch {
      continue
    }
  }
  return found
}

/** SIGKILL a process group and every listed process; errors (already gone) are ignored. */
export const killAll = (leaderPid: number, leftovers: readonly EscapedProcess[]): void => {
  try {
    process.kill(-leaderPid, 'SIGKILL')
  } catch {
    // group already empty
  }
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

import type { CommandName, IsolationInfo } from '../types.js'

/**
 * How the text report states the isolation that was really in force (DESIGN.md honesty rule):
 * the first line names the backend, each following line names a layer that is weaker than
 * the full namespace sandbox and what that lets a script do.
 */
export const describeIsolation = (command: CommandName, isolation: IsolationInfo): { line: string; gaps: string[] } => {
  if (command === 'audit') return { line: 'isolation: not needed (offline review; no package code was run)', gaps: [] }
  const line =
    isolation.backend === 'none'
      ? `isolation: none (env scrub, decoy home and egress proxy variables only; no namespace sandbox on this machine; tracer ${isolation.tracer})`
      : `isolation: ${isolation.backend} (network ${isolation.network}, filesystem ${isolation.filesystem}, pid ${isolation.pid}, tracer ${isolation.tracer})`
  const gaps: string[] = []
  if (isolation.network === 'proxy-env') gaps.push('network: proxy variables only; a script that ignores them can connect directly')
  if (isolation.filesystem === 'decoy-home') gaps.push('filesystem: decoy HOME only; real files stay readable by absolute path')
  if (isolation.pid === 'process-group') gaps.push('processes: process group only; a process that leaves the group can outlive its hook')
  if (isolation.tracer === 'none') gaps.push('tracer: none; file and exec activity of scripts was not recorded')
  if (isolation.tracer === 'preload') {
    gaps.push('tracer: preload; only what node code did through node\'s own APIs was recorded, not native code, other programs\' own activity, or code that removes the observer')
  }
  return { line, gaps }
}

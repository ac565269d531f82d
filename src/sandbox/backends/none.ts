import type { Invocation, SandboxSpec } from '../spec.js'

/**
 * The v1 backend: no namespaces. The hook runs as `sh -c <script>` like npm runs it, with the
 * scrubbed env and decoy home of the spec; process control comes from its own process group.
 */
export const buildNoneInvocation = (spec: SandboxSpec, shell = '/bin/sh'): Invocation => ({
  file: shell,
  args: ['-c', spec.command],
  cwd: spec.cwd,
  env: { ...spec.env, [spec.marker.name]: spec.marker.value },
})

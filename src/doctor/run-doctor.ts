import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SafeInstallError } from '../errors.js'
import { probeBwrap, probeStrace, probeUnshare } from '../sandbox/backends/probe.js'
import { SANDBOX_EXEC } from '../sandbox/backends/seatbelt.js'
import { selectBackend, type SelectedBackend, type SelectionProbes } from '../sandbox/select.js'
import { findBinary, tryMountns, tryNetns, tryPidns, tryPreload, tryUserns } from './attempts.js'
import { diagnose, summarise } from './diagnose.js'
import { gatherHostFacts } from './host-facts.js'
import type { Attempt, BinaryInfo, DoctorInput, DoctorResult, NamespaceTool } from './types.js'

type Env = Readonly<Record<string, string | undefined>>

const OBSERVER = fileURLToPath(new URL('../../libexec/observer.cjs', import.meta.url))

export interface DoctorOptions {
  readonly env: Env
  readonly cwd: string
  readonly execPath: string
  readonly version: string
}

const notLinux: Attempt<never> = { kind: 'not-tried', why: `no namespaces on ${process.platform}` }
const ABSENT: BinaryInfo = { kind: 'absent', override: null, onPath: null }

/** The launcher the install selected; else whatever is installed, so the attempts can say which namespace fails. */
const chooseTool = (selected: SelectedBackend, bwrap: BinaryInfo, unshare: BinaryInfo, usernsOk: boolean): NamespaceTool | null => {
  const { backend } = selected
  if (backend.kind === 'namespace') {
    return backend.launcher.kind === 'bwrap'
      ? { kind: 'bwrap', path: backend.launcher.bwrap }
      : { kind: 'unshare', path: backend.launcher.unshare, user: true }
  }
  if (bwrap.kind === 'found') return { kind: 'bwrap', path: bwrap.path }
  if (unshare.kind === 'found') return { kind: 'unshare', path: unshare.path, user: usernsOk }
  return null
}

/**
 * Run the install's probes once, select the backend from their results with the install's own
 * selection code (with and without --require-isolation), then try each layer for real so that a
 * missing one can be explained. Only the isolation part of the selection is used: the project
 * paths it is given here (the cwd) only shape mounts, which doctor does not build.
 */
export const runDoctor = async (options: DoctorOptions): Promise<DoctorResult> => {
  const { env } = options
  const linux = process.platform === 'linux'
  const facts = gatherHostFacts(env)
  const scratch = await mkdtemp(join(tmpdir(), 'safe-install-doctor-'))
  try {
    const [bwrapBinary, straceBinary, unshareBinary] = linux
      ? await Promise.all([
          findBinary(env, 'bwrap', 'SAFE_INSTALL_BWRAP', ['--version']),
          findBinary(env, 'strace', 'SAFE_INSTALL_STRACE', ['-V']),
          findBinary(env, 'unshare', 'SAFE_INSTALL_UNSHARE', ['--version']),
        ])
      : [ABSENT, ABSENT, ABSENT]
    await mkdir(join(scratch, 'unshare-probe'))
    const bwrap = await probeBwrap(env)
    const unshare = await probeUnshare(env, join(scratch, 'unshare-probe'))
    const strace = await probeStrace(env)
    const probes: SelectionProbes = { bwrap: () => Promise.resolve(bwrap), unshare: () => Promise.resolve(unshare), strace: () => Promise.resolve(strace) }
    const base = { env, execPath: options.execPath, prefix: options.cwd, npmPath: options.cwd, npmConfigFiles: [], nodeGypDevdir: undefined }
    const selected = await selectBackend({ ...base, requireIsolation: false }, probes)
    const strict = await selectBackend({ ...base, requireIsolation: true }, probes).then(
      () => ({ kind: 'pass' as const }),
      (error: unknown) => {
        if (error instanceof SafeInstallError && error.code === 'EISOLATION') return { kind: 'fail' as const, reason: error.message, fix: error.hint }
        throw error
      },
    )
    const userns = linux ? await tryUserns(env, unshareBinary, bwrapBinary) : notLinux
    const tool = linux ? chooseTool(selected, bwrapBinary, unshareBinary, userns.kind === 'ok') : null
    const noTool: Attempt<never> = linux ? { kind: 'not-tried', why: 'neither bubblewrap nor util-linux unshare is installed' } : notLinux
    await mkdir(join(scratch, 'ns'))
    const input: DoctorInput = {
      facts, bwrapBinary, straceBinary, unshareBinary, bwrap, unshare, strace, userns, tool,
      netns: tool === null ? noTool : await tryNetns(env, tool, options.execPath),
      mountns: tool === null ? noTool : await tryMountns(env, tool, join(scratch, 'ns')),
      pidns: tool === null ? noTool : await tryPidns(env, tool),
      preload: env['SAFE_INSTALL_PRELOAD'] === '0' ? { kind: 'disabled' } : await tryPreload({ observer: OBSERVER, node: options.execPath, scratch }),
      seatbelt: { present: process.platform === 'darwin' && existsSync(SANDBOX_EXEC), enabled: env['SAFE_INSTALL_SEATBELT'] === '1' },
      isolation: selected.isolation,
    }
    return {
      schemaVersion: 1,
      tool: { name: 'safe-install', version: options.version },
      command: 'doctor',
      host: facts,
      checks: diagnose(input),
      isolation: selected.isolation,
      sandbox: summarise({
        isolation: selected.isolation,
        transparentCapture: selected.backend.kind === 'namespace' && selected.backend.capture !== undefined,
        degraded: selected.degraded,
        strict,
      }),
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

import { rmSync } from 'node:fs'

/**
 * What an interrupt must undo, owned by one run (no module state): live hook process groups
 * and temporary directories. `interrupt()` is synchronous so a signal handler can call it.
 */
export class RunControl {
  readonly #groups = new Set<number>()
  readonly #dirs = new Set<string>()
  interrupted = false

  readonly track = {
    add: (pid: number): void => void this.#groups.add(pid),
    remove: (pid: number): void => void this.#groups.delete(pid),
  }

  addTempDir(dir: string): void {
    this.#dirs.add(dir)
  }

  removeTempDir(dir: string): void {
    this.#dirs.delete(dir)
  }

  interrupt(): void {
    this.interrupted = true
    for (const pid of this.#groups) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true })
  }
}

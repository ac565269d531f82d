/**
 * Logging commands of CI services that read a job's log: Azure Pipelines obeys `##vso[...]`
 * found anywhere in a line (task.setvariable, task.prependpath, task.uploadfile,
 * build.addbuildtag ...), TeamCity obeys `##teamcity[...]` service messages. safe-install never
 * writes either, so any occurrence in its output came from a package (a script's output, a
 * name, a path) and must not reach the service as a command. The service cannot be detected
 * reliably (safe-install may run inside `docker build` inside an Azure job, where no TF_BUILD is
 * set but the agent still reads every line), so the guard is always on.
 *
 * GitHub's `::command::` syntax is handled apart (src/ci/workflow-command.ts): safe-install
 * writes such commands itself, so package text is fenced off with `::stop-commands::` instead.
 */

const SERVICE_COMMAND = /##(vso|teamcity)\[/gi

/**
 * `##vso[` becomes `##vso\u005b` (the six characters, not the bracket). Inside a JSON string that
 * is an escape of the same `[`, so JSON output parses to the exact original text; in text output
 * the marker stays readable and says what was there. The agent matches the literal prefix, so
 * it no longer sees a command.
 */
export const defuseServiceCommands = (text: string): string =>
  text.includes('##') ? text.replace(SERVICE_COMMAND, (_match, name: string) => `##${name}\\u005b`) : text

const guarded = new WeakSet<NodeJS.WriteStream>()

/**
 * Every later write of `stream` goes through {@link defuseServiceCommands}. Strings and UTF-8
 * buffers are both covered; the rest of the stream is untouched. Idempotent.
 */
export const guardServiceCommands = (stream: NodeJS.WriteStream): void => {
  if (guarded.has(stream)) return
  guarded.add(stream)
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
  const guardedWrite = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string') return write(defuseServiceCommands(chunk), ...rest)
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
      const safe = defuseServiceCommands(text)
      return write(safe === text ? chunk : Buffer.from(safe, 'utf8'), ...rest)
    }
    return write(chunk, ...rest)
  }
  stream.write = guardedWrite
}

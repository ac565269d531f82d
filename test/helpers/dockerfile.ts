/**
 * A small Dockerfile reader for tests that re-enact a build's steps: instructions with their
 * `--flag=value` options, `\` continuations joined, comments kept per stage (a commented
 * alternative instruction is part of what an example documents). Enough for FROM, ARG, ENV,
 * WORKDIR, COPY and RUN in shell form; not a full implementation of the syntax (no heredocs, no
 * escape directive, no JSON exec form).
 */

export interface DockerInstruction {
  /** Upper-case keyword: RUN, ENV ... */
  readonly keyword: string
  /** Leading `--name=value` (or `--name`) options, in order. */
  readonly flags: readonly string[]
  /** The rest, continuations joined with a space. */
  readonly args: string
  /** 1-based line where the instruction starts. */
  readonly line: number
}

export interface DockerStage {
  readonly from: string
  readonly name: string | undefined
  readonly instructions: readonly DockerInstruction[]
  /** Comment lines inside the stage, without the leading `#`. */
  readonly comments: readonly string[]
}

export interface Dockerfile {
  /** ARGs before the first FROM (usable in FROM lines). */
  readonly globalArgs: readonly DockerInstruction[]
  readonly stages: readonly DockerStage[]
}

const splitFlags = (rest: string): { flags: string[]; args: string } => {
  const flags: string[] = []
  let args = rest.trim()
  for (let m = /^(--[a-z-]+(?:=\S*)?)\s+/.exec(args); m !== null; m = /^(--[a-z-]+(?:=\S*)?)\s+/.exec(args)) {
    flags.push(m[1] ?? '')
    args = args.slice(m[0].length)
  }
  return { flags, args }
}

export const parseDockerfile = (text: string): Dockerfile => {
  const globalArgs: DockerInstruction[] = []
  const stages: Array<{ from: string; name: string | undefined; instructions: DockerInstruction[]; comments: string[] }> = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i] ?? ''
    const trimmed = raw.trim()
    if (trimmed === '') continue
    if (trimmed.startsWith('#')) {
      stages.at(-1)?.comments.push(trimmed.slice(1).trim())
      continue
    }
    const start = i
    let joined = trimmed
    while (joined.endsWith('\\')) {
      joined = joined.slice(0, -1).trimEnd()
      i += 1
      // Comment lines inside a continuation are dropped, as Docker does.
      while (i < lines.length && (lines[i] ?? '').trim().startsWith('#')) i += 1
      joined = `${joined} ${(lines[i] ?? '').trim()}`
    }
    const space = joined.search(/\s/)
    const keyword = (space === -1 ? joined : joined.slice(0, space)).toUpperCase()
    const { flags, args } = splitFlags(space === -1 ? '' : joined.slice(space))
    const instruction = { keyword, flags, args, line: start + 1 }
    if (keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      if (m === null) throw new Error(`line ${start + 1}: cannot read FROM ${args}`)
      stages.push({ from: m[1] ?? '', name: m[2], instructions: [], comments: [] })
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`line ${start + 1}: ${keyword} before the first FROM`)
      globalArgs.push(instruction)
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return { globalArgs, stages }
}

/** `KEY=value` pairs of an ENV or ARG (the `ENV KEY value` form too); values unquoted. */
export const assignments = (args: string): Record<string, string> => {
  const unquote = (value: string): string => value.replace(/^"(.*)"$/, '$1')
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const space = args.search(/\s/)
    return space === -1 ? { [args]: '' } : { [args.slice(0, space)]: unquote(args.slice(space).trim()) }
  }
  return Object.fromEntries(args.split(/\s+/).map((pair) => {
    const eq = pair.indexOf('=')
    return [pair.slice(0, eq), unquote(pair.slice(eq + 1))]
  }))
}

/** The value of a `--name=value` flag of an instruction, or undefined. */
export const flagValue = (instruction: Pick<DockerInstruction, 'flags'>, name: string): string | undefined => {
  const flag = instruction.flags.find((f) => f.startsWith(`--${name}=`))
  return flag?.slice(name.length + 3)
}

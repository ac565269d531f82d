/**
 * Whether to colour output: --color/--no-color first, then NO_COLOR (set and not empty: never;
 * no-color.org), then FORCE_COLOR (`0` or `false`: never, as supports-color reads it; any other
 * value: always), else only on a terminal.
 */
export const useColor = (
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
  stream: { readonly isTTY?: boolean },
): boolean => {
  if (flag !== undefined) return flag
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false
  if (env['FORCE_COLOR'] !== undefined) return env['FORCE_COLOR'] !== '0' && env['FORCE_COLOR'].toLowerCase() !== 'false'
  return stream.isTTY === true
}

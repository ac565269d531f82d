/** Own property, never an inherited one (`constructor`, `toString`, `__proto__` ...). */
export const own = (object: Record<string, unknown>, name: string): unknown =>
  Object.hasOwn(object, name) ? object[name] : undefined

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A record under construction: assign fields one by one, defined values only. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] }

/** Copies the defined values of `fields` onto `target` (exactOptionalPropertyTypes forbids assigning undefined). */
export const assignDefined = <T extends object>(target: T, fields: { readonly [K in keyof T]?: T[K] | undefined }): T => {
  for (const name in fields) {
    const value = fields[name]
    if (value !== undefined) (target as Record<string, unknown>)[name] = value
  }
  return target
}

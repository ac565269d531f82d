import { parse, type Options, type Program } from 'acorn'

export type ParseResult =
  | { readonly kind: 'parsed'; readonly program: Program; readonly sourceType: 'module' | 'script' }
  | { readonly kind: 'failed'; readonly message: string; readonly offset: number }

const base: Options = {
  ecmaVersion: 'latest',
  allowHashBang: true,
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowReserved: true,
  locations: false,
}

const offsetOf = (error: unknown): number =>
  typeof error === 'object' && error !== null && typeof (error as { pos?: unknown }).pos === 'number' ? (error as { pos: number }).pos : 0

/**
 * Parse JavaScript as npm would run it without knowing its module type: as a module first (ESM
 * syntax, strict), then as a script (CommonJS: `with`, octal escapes, top-level `return`). Never
 * throws: a file neither parse accepts is reported by the caller as `static-unparsed`.
 */
export const parseJavaScript = (code: string): ParseResult => {
  try {
    return { kind: 'parsed', program: parse(code, { ...base, sourceType: 'module' }), sourceType: 'module' }
  } catch {
    try {
      return { kind: 'parsed', program: parse(code, { ...base, sourceType: 'script' }), sourceType: 'script' }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { kind: 'failed', message, offset: offsetOf(error) }
    }
  }
}

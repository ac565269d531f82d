/** `name@version`, or the name alone when there is no version (the root project, a git checkout). Pure. */
export const packageId = (pkg: { readonly name: string; readonly version: string }): string =>
  pkg.version === '' ? pkg.name : `${pkg.name}@${pkg.version}`

/**
 * One model for every lockfile the audit reads. Each entry keeps where it is written (raw key,
 * 1-based line and column of the key) so a finding can point at the line a reviewer must look at,
 * and keeps what it says as written: nothing is resolved against a registry, the disk or the network.
 *
 * What each format can tell (undefined in the model means "the lockfile does not say"):
 *
 * | format              | install scripts                          | integrity                          | resolved                         |
 * |---------------------|------------------------------------------|------------------------------------|----------------------------------|
 * | npm v2/v3           | `hasInstallScript` (pre/install/post)    | SRI                                | URL (may be omitted for registry)|
 * | npm v1              | never                                    | SRI                                | URL, or the spec in `version`    |
 * | yarn 1              | never                                    | SRI, or sha1 from the URL fragment | URL                              |
 * | yarn berry          | never (in .yarn/install-state.gz)        | none: `checksum` of yarn's zip     | the locator (`resolution`)       |
 * | pnpm v5/v6          | `requiresBuild`, `prepare`               | SRI (none for some tarballs)       | tarball URL when written         |
 * | pnpm v9             | never (removed from the lockfile)        | SRI (none for some tarballs)       | tarball URL when written         |
 * | bun                 | never (`trustedDependencies` is global)  | SRI for registry packages          | registry URL, or the resolution  |
 */

export type LockFormat = 'npm' | 'yarn-classic' | 'yarn-berry' | 'pnpm' | 'bun'

/**
 * Where the bytes of a package come from, read from the lockfile alone:
 * - `registry`: a registry package (a bare exact version, berry `npm:`, or a URL shaped like a
 *   registry tarball, `…/<name>/-/<base>-<version>.tgz`, on any host: the host is for a check to judge);
 * - `git`: a git repository (`git+ssh:`, `git+https:`, `github:` …, a `.git` URL, codeload archives);
 * - `remote-tarball`: any other http(s) URL;
 * - `file`: a local tarball or a directory copied in (npm `file:x.tgz`, pnpm `file:`/directory, bun `file:`);
 * - `link`: a symlink to a folder that is not a workspace (npm `link: true`, pnpm/yarn/bun `link:`, berry `portal:`);
 * - `workspace`: a link to one of the project's own workspaces;
 * - `unknown`: anything else (berry `exec:`, pnpm custom resolutions …).
 */
export type LockSource = 'registry' | 'git' | 'remote-tarball' | 'file' | 'link' | 'workspace' | 'unknown'

export interface LockEntry {
  /**
   * The name the package is installed under. npm: the path after the last `node_modules/` of the
   * key (a folder key: its last segment); yarn: the name of the first descriptor of the key; pnpm:
   * the name in the key (pnpm keys use the real name; an importer `link:` entry uses the dependency
   * name); bun: the last package name of the key path.
   */
  readonly name: string
  /** The package's own name when the lockfile says it differs from `name` (aliases: `"foo": "npm:bar@1"` gives foo / bar). */
  readonly realName?: string
  /**
   * The exact version the lockfile records, undefined when it records none (npm v1 git/tarball
   * specs, pnpm importer links). npm links and bun workspace links take their target folder's version.
   */
  readonly version: string | undefined
  /** The key as written (decoded from its JSON/YAML quoting): npm/bun/pnpm the map key, yarn the whole descriptor list. */
  readonly key: string
  /** 1-based line and column of the key. */
  readonly line: number
  readonly column: number
  /** npm: the install path (`node_modules/a/node_modules/b`); bun: the key path (`a/b`); pnpm `link:` entries: the link's path. */
  readonly location?: string
  /**
   * Where it comes from, as written: npm `resolved` (a link's target folder for links), yarn 1
   * `resolved`, berry `resolution`, pnpm `resolution.tarball` (git: `<repo>#<commit>`, a directory:
   * the directory; an importer link: `link:<path>`), bun the 2nd tuple element of a registry package
   * when not empty, else the resolution after the `@` of the 1st (`github:o/r#sha`, `file:…`, a URL).
   */
  readonly resolved?: string
  readonly source: LockSource
  /**
   * Subresource Integrity string(s) as written. yarn classic without an `integrity` field: the sha1
   * in the fragment of an http(s) `resolved` URL, as `sha1-<base64>` (what the fragment says, converted).
   */
  readonly integrity?: string
  /**
   * yarn berry's `checksum` as written (`<cacheKey>/<hex>` or `<hex>`): a sha512 of yarn's own zip
   * archive of the package, not of the registry tarball, so it cannot be compared with `integrity`.
   */
  readonly checksum?: string
  /**
   * The lockfile says the package has install-time scripts (true) or has none (false); undefined
   * when the format does not record it: npm v2/v3 `hasInstallScript` (preinstall/install/postinstall,
   * not `prepare`; a link says nothing, its target folder's entry does), pnpm v5/v6 `requiresBuild`
   * or `prepare`; npm v1, yarn, pnpm v9 and bun never say.
   */
  readonly hasInstallScript?: boolean
  /** npm `dev` / pnpm v6 `dev`; npm `devOptional` sets both `dev` and `optional`. */
  readonly dev?: boolean
  /** npm/pnpm v6 `optional`; pnpm v9: every snapshot of the package is optional. */
  readonly optional?: boolean
  /** npm `inBundle` / v1 `bundled`: shipped inside its parent's tarball (npm never runs its scripts). */
  readonly inBundle?: boolean
  /** yarn berry `conditions` (`os=darwin & cpu=arm64`): yarn fetches it only there, so it often has no checksum. */
  readonly conditions?: string
  /** The name the resolved URL or locator implies (registry tarball path, berry `name@npm:1.2.3`), for name-mismatch checks. */
  readonly resolvedName?: string
  /** The version the registry tarball file name or berry locator implies. */
  readonly resolvedVersion?: string
  /** The key occurs more than once in its map (npm/bun JSON); the package manager reads only the last one. */
  readonly duplicate?: boolean
}

/** A project folder the lockfile records: the root (`.`) and its workspaces. */
export interface LockWorkspace {
  /** Relative to the lockfile's folder, as written; the root is `.`. */
  readonly path: string
  readonly name?: string
  readonly version?: string
  readonly line: number
  readonly column: number
  /** npm v2/v3 only: the folder's own package.json has install scripts. */
  readonly hasInstallScript?: boolean
}

export interface Lockfile {
  readonly format: LockFormat
  /** As the file states it: npm `lockfileVersion`, yarn classic `1`, berry `__metadata.version`, pnpm `lockfileVersion`, bun `lockfileVersion`. */
  readonly formatVersion: string
  /** The path the caller gave. */
  readonly file: string
  /** In file order. The project's own folders are in `workspaces`, not here. */
  readonly entries: readonly LockEntry[]
  readonly workspaces: readonly LockWorkspace[]
}

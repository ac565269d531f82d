import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  classifyPath, compilePathRules, loadPathRules, type PathAccess, type PathContext, type PathFinding, type SensitivePathsFile,
} from '../../../src/trace/path-rules.js'

const rules = loadPathRules()

const HOME = '/home/alice'
const DECOY = '/tmp/si-run/home'
const PROJECT = '/home/alice/app'
const PKG = `${PROJECT}/node_modules/evil`
const TMP = '/tmp/si-run/hook-1'

/** A dependency's hook. */
const dep: PathContext = { realHome: HOME, decoyHome: DECOY, projectDir: PROJECT, packageDir: PKG, hookTmp: TMP, writableGrants: [] }
/** The root project's own hook (husky, patch-package ...). */
const root: PathContext = { ...dep, packageDir: PROJECT }

type Expected = Pick<PathFinding, 'rule' | 'severity' | 'entryId'> & { decoy?: boolean }
const hit = (rule: PathFinding['rule'], severity: PathFinding['severity'], entryId: string, decoy?: boolean): Expected =>
  decoy === undefined ? { rule, severity, entryId } : { rule, severity, entryId, decoy }

const check = (access: PathAccess, path: string, ctx: PathContext, expected: Expected | null): void => {
  const result = classifyPath(access, path, ctx, rules)
  if (expected === null) expect(result).toBeNull()
  else expect(result).toMatchObject(expected)
}

describe('credential reads', () => {
  it.each<[string, Expected]>([
    [`${HOME}/.npmrc`, hit('credential-read', 'error', 'npm-rc', false)],
    [`${DECOY}/.npmrc`, hit('credential-read', 'error', 'npm-rc', true)],
    [`${PROJECT}/.npmrc`, hit('credential-read', 'error', 'npm-rc')],
    ['/home/alice/work/.npmrc', hit('credential-read', 'error', 'npm-rc')],
    ['/etc/npmrc', hit('credential-read', 'error', 'npm-global-config')],
    ['/usr/lib/node_modules/npm/npmrc', hit('credential-read', 'error', 'npm-global-config')],
    [`${HOME}/.nvm/versions/node/v20.19.0/etc/npmrc`, hit('credential-read', 'error', 'npm-global-config')],
    [`${DECOY}/.yarnrc.yml`, hit('credential-read', 'error', 'yarn-pnpm-bun-rc', true)],
    [`${DECOY}/.config/pnpm/rc`, hit('credential-read', 'error', 'yarn-pnpm-bun-rc')],
    [`${DECOY}/.aws/credentials`, hit('credential-read', 'error', 'aws', true)],
    [`${HOME}/.aws`, hit('credential-read', 'error', 'aws')],
    [`${DECOY}/.azure/msal_token_cache.json`, hit('credential-read', 'error', 'azure')],
    [`${DECOY}/.config/gcloud/application_default_credentials.json`, hit('credential-read', 'error', 'gcloud')],
    [`${DECOY}/.kube/config`, hit('credential-read', 'error', 'kube')],
    [`${DECOY}/.docker/config.json`, hit('credential-read', 'error', 'docker')],
    [`${DECOY}/.ssh/id_ed25519`, hit('credential-read', 'error', 'ssh')],
    [`${DECOY}/.ssh`, hit('credential-read', 'error', 'ssh')],
    [`${DECOY}/.git-credentials`, hit('credential-read', 'error', 'git-credentials')],
    [`${DECOY}/.gitconfig`, hit('credential-read', 'warning', 'gitconfig')],
    [`${PROJECT}/.git/config`, hit('credential-read', 'warning', 'git-repo-config')],
    [`${DECOY}/.netrc`, hit('credential-read', 'error', 'netrc')],
    [`${DECOY}/.config/gh/hosts.yml`, hit('credential-read', 'error', 'gh')],
    [`${DECOY}/.pypirc`, hit('credential-read', 'error', 'dev-tool-tokens')],
    [`${DECOY}/.gnupg/private-keys-v1.d/x.key`, hit('credential-read', 'error', 'gpg')],
    [`${DECOY}/.bash_history`, hit('credential-read', 'error', 'shell-history')],
    [`${HOME}/.zsh_history`, hit('credential-read', 'error', 'shell-history')],
    [`${HOME}/.local/share/fish/fish_history`, hit('credential-read', 'error', 'shell-history')],
    [`${HOME}/.config/google-chrome/Default/Login Data`, hit('credential-read', 'error', 'browser-profiles')],
    [`${HOME}/.config/BraveSoftware/Brave-Browser/Default/Cookies`, hit('credential-read', 'error', 'browser-profiles')],
    [`${HOME}/.mozilla/firefox/abc.default-release/logins.json`, hit('credential-read', 'error', 'browser-profiles')],
    ['/Users/alice/Library/Application Support/Google/Chrome/Default/Login Data', hit('credential-read', 'error', 'browser-profiles')],
    ['/Users/alice/Library/Application Support/Firefox/Profiles/x/key4.db', hit('credential-read', 'error', 'browser-profiles')],
    ['/opt/browser/Profile 1/Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn/000003.log', hit('credential-read', 'error', 'wallet-extensions')],
    [`${HOME}/.config/Exodus/exodus.wallet/seed.seco`, hit('credential-read', 'error', 'crypto-wallets')],
    [`${HOME}/.electrum/wallets/default_wallet`, hit('credential-read', 'error', 'crypto-wallets')],
    [`${HOME}/.config/solana/id.json`, hit('credential-read', 'error', 'crypto-wallets')],
    [`${HOME}/.ethereum/keystore/UTC--2024`, hit('credential-read', 'error', 'crypto-wallets')],
    [`${DECOY}/.claude.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${HOME}/.claude/.credentials.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${HOME}/.config/claude/settings.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${HOME}/.cursor/mcp.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${HOME}/.codeium/windsurf/mcp_config.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${HOME}/.gemini/oauth_creds.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${PROJECT}/.mcp.json`, hit('credential-read', 'error', 'ai-tool-config')],
    [`${PROJECT}/.env`, hit('credential-read', 'warning', 'dotenv')],
    [`${PROJECT}/.env.production`, hit('credential-read', 'warning', 'dotenv')],
    [`${PROJECT}/packages/web/.env.local`, hit('credential-read', 'warning', 'dotenv')],
    [`${HOME}/.env`, hit('credential-read', 'warning', 'dotenv')],
    ['/proc/1/environ', hit('credential-read', 'error', 'proc-environ')],
    ['/proc/42/task/43/environ', hit('credential-read', 'error', 'proc-environ')],
    ['/proc/1/mem', hit('credential-read', 'error', 'proc-mem')],
    ['/proc/1/maps', hit('credential-read', 'warning', 'proc-maps')],
    ['/proc/1/cmdline', hit('credential-read', 'note', 'proc-cmdline')],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', hit('credential-read', 'error', 'system-secrets')],
    ['/etc/shadow', hit('credential-read', 'error', 'system-secrets')],
    ['/home/runner/actions-runner/.credentials', hit('credential-read', 'error', 'system-secrets')],
  ])('a dependency reading %s', (path, expected) => {
    check('read', path, dep, expected)
  })

  it.each<[string, string]>([
    ['/home/bob/.aws/credentials', 'aws'],
    ['/root/.ssh/id_rsa', 'ssh'],
    ['/Users/carol/.config/gh/hosts.yml', 'gh'],
    ['/var/root/.kube/config', 'kube'],
  ])('counts %s even when the real home is not known (any user home)', (path, entryId) => {
    const { realHome: _ignored, ...noHome } = dep
    check('read', path, noHome, hit('credential-read', 'error', entryId, false))
  })

  it('treats an exec of a credential file as a read', () => {
    check('exec', `${DECOY}/.ssh/id_ed25519`, dep, hit('credential-read', 'error', 'ssh'))
  })

  it('reports a stat of a credential as a note: an existence probe, not a read', () => {
    check('stat', `${DECOY}/.aws/credentials`, dep, hit('credential-read', 'note', 'aws', true))
    check('stat', `${PROJECT}/.env`, dep, hit('credential-read', 'note', 'dotenv'))
  })

  it.each<[string, string, string]>([
    ['npm', `${DECOY}/.npmrc`, 'npm-rc'],
    ['npm', `${PROJECT}/.npmrc`, 'npm-rc'],
    ['npm', '/etc/npmrc', 'npm-global-config'],
    ['yarn', `${PROJECT}/.yarnrc.yml`, 'yarn-pnpm-bun-rc'],
    ['git', `${DECOY}/.gitconfig`, 'gitconfig'],
    ['git', `${PROJECT}/.git/config`, 'git-repo-config'],
    ['git', `${DECOY}/.git-credentials`, 'git-credentials'],
    ['ssh', `${DECOY}/.ssh/id_ed25519`, 'ssh'],
    ['claude', `${DECOY}/.claude.json`, 'ai-tool-config'],
  ])('lowers to a note when %s reads %s, which it does on every run', (program, path, entryId) => {
    const result = classifyPath('read', path, { ...dep, program }, rules)
    expect(result).toMatchObject(hit('credential-read', 'note', entryId))
    expect(result?.description).toContain(`read by ${program}`)
  })

  it('keeps the full severity for any other program reading the same file', () => {
    check('read', `${DECOY}/.npmrc`, { ...dep, program: 'node' }, hit('credential-read', 'error', 'npm-rc'))
    check('read', `${DECOY}/.gitconfig`, { ...dep, program: 'node' }, hit('credential-read', 'warning', 'gitconfig'))
  })

  it("counts npm's resolved config files given by the caller, wherever they are", () => {
    const ctx = { ...dep, npmConfigFiles: ['/opt/node-20/etc/npmrc'] }
    check('read', '/opt/node-20/etc/npmrc', ctx, hit('credential-read', 'error', 'npm-global-config'))
    check('read', '/opt/node-20/etc/npmrc', { ...ctx, program: 'npm' }, hit('credential-read', 'note', 'npm-global-config'))
  })

  it('resolves relative paths and .. against the package directory before matching', () => {
    check('read', '../../.env', dep, hit('credential-read', 'warning', 'dotenv'))
    check('read', `${PKG}/../../.npmrc`, dep, hit('credential-read', 'error', 'npm-rc'))
    check('read', `${HOME}//.aws/credentials/`, dep, hit('credential-read', 'error', 'aws'))
  })
})

describe('reads that are not credential reads', () => {
  it.each<[string, string, PathContext?]>([
    ['own environment', '/proc/self/environ'],
    ['own thread environment', '/proc/thread-self/environ'],
    ['own environment by pid', '/proc/123/environ', { ...dep, pid: 123 }],
    ['own memory map', '/proc/self/maps'],
    ['own command line', '/proc/self/cmdline'],
    ['a package manifest', `${PROJECT}/node_modules/lodash/package.json`],
    ["the project's manifest", `${PROJECT}/package.json`],
    ['a .env shipped inside another package', `${PROJECT}/node_modules/some-lib/.env`],
    ['a .env template', `${PROJECT}/.env.example`],
    ["the dependency's own .env", `${PKG}/.env`],
    ["the hook's private tmp", `${TMP}/extract/.env`],
    ["node-gyp's header cache (decoy home)", `${DECOY}/.cache/node-gyp/20.19.0/include/node/node.h`],
    ["node-gyp's legacy header dir", `${HOME}/.node-gyp/20.19.0/include/node/node.h`],
    ["gyp's user include file", `${DECOY}/.gyp/include.gypi`],
    ["node-gyp's gyp sources", '/usr/lib/node_modules/npm/node_modules/node-gyp/gyp/gyp_main.py'],
    ["puppeteer's browser cache", `${DECOY}/.cache/puppeteer/chrome/linux-131/chrome`],
    ["cypress's binary cache", `${DECOY}/.cache/Cypress/13.0.0/Cypress/Cypress`],
    ["update-notifier's state", `${DECOY}/.config/configstore/update-notifier-npm.json`],
    ["npm's cache", `${DECOY}/.npm/_cacache/index-v5/ab/cd`],
    ['the passwd database (os.userInfo)', '/etc/passwd'],
    ['system headers', '/usr/include/stdio.h'],
    ['the C library', '/usr/lib/x86_64-linux-gnu/libc.so.6'],
    ['the OS release file', '/etc/os-release'],
    ["a git dependency's build reading its own .env (prepare)", `${DECOY}/.npm/_cacache/tmp/git-cloneXYZ/.env`, { ...dep, packageDir: `${DECOY}/.npm/_cacache/tmp/git-cloneXYZ` }],
    ["a git dependency reading its own clone's .git/config", '/srv/cache/git-cloneXYZ/.git/config', { ...dep, packageDir: '/srv/cache/git-cloneXYZ' }],
  ])('%s (%s)', (_what, path, ctx = dep) => {
    check('read', path, ctx, null)
  })

  it("does not exempt the root project's scripts from reading the project's secrets", () => {
    check('read', `${PROJECT}/.npmrc`, root, hit('credential-read', 'error', 'npm-rc'))
    check('read', `${PROJECT}/.env`, root, hit('credential-read', 'warning', 'dotenv'))
  })
})

describe('writes: persistence', () => {
  it.each<[string, string, PathContext?]>([
    [`${DECOY}/.bashrc`, 'shell-rc'],
    [`${HOME}/.zshrc`, 'shell-rc'],
    [`${DECOY}/.profile`, 'shell-rc'],
    [`${DECOY}/.config/fish/config.fish`, 'shell-rc'],
    ['/etc/profile.d/x.sh', 'system-startup'],
    ['/etc/ld.so.preload', 'system-startup'],
    [`${DECOY}/.config/systemd/user/updater.service`, 'systemd-units'],
    ['/etc/systemd/system/updater.service', 'systemd-units'],
    [`${DECOY}/.config/autostart/x.desktop`, 'systemd-units'],
    ['/Users/alice/Library/LaunchAgents/com.user.kitty-monitor.plist', 'launchd'],
    ['/var/spool/cron/crontabs/alice', 'cron-at'],
    ['/etc/cron.d/updater', 'cron-at'],
    ['/etc/crontab', 'cron-at'],
    [`${DECOY}/.ssh/authorized_keys`, 'ssh-access'],
    [`${DECOY}/.npmrc`, 'package-manager-config'],
    [`${DECOY}/.gitconfig`, 'git-global-config'],
    [`${DECOY}/.aws/config`, 'cloud-cli-config'],
    ['/usr/lib/node_modules/npm/bin/npm-cli.js', 'global-node-modules'],
    [`${HOME}/.nvm/versions/node/v20.19.0/lib/node_modules/npm/lib/cli.js`, 'global-node-modules'],
    [`${DECOY}/.local/bin/node`, 'path-binaries'],
    [`${DECOY}/.bun/bin/bun`, 'path-binaries'],
    ['/usr/local/bin/npm', 'path-binaries'],
    [`${DECOY}/.local/lib/python3.12/site-packages/evil.pth`, 'python-startup'],
    [`${PROJECT}/.github/workflows/shai-hulud-workflow.yml`, 'ci-workflows'],
    [`${PROJECT}/.github/workflows/shai-hulud-workflow.yml`, 'ci-workflows', root],
    [`${PROJECT}/.gitlab-ci.yml`, 'ci-workflows'],
    ['/home/runner/work/_temp/_runner_file_commands/set_env_1234', 'ci-runner'],
    [`${DECOY}/.dev-env/config.sh`, 'ci-runner'],
    [`${PROJECT}/.git/hooks/pre-commit`, 'git-hooks'],
    [`${PROJECT}/.git/config`, 'git-hooks'],
    [`${PROJECT}/.vscode/tasks.json`, 'editor-project-config'],
    [`${PROJECT}/.vscode/settings.json`, 'editor-project-config'],
    [`${PROJECT}/.vscode/setup.mjs`, 'editor-project-config', root],
    [`${DECOY}/.config/Code/User/settings.json`, 'editor-user-config'],
    [`${DECOY}/.vscode/extensions/x.y-1.0.0/main.js`, 'editor-user-config'],
    [`${PROJECT}/.claude/settings.json`, 'ai-agent-project-config'],
    [`${PROJECT}/CLAUDE.md`, 'ai-agent-project-config'],
    [`${PROJECT}/AGENTS.md`, 'ai-agent-project-config'],
    [`${PROJECT}/.cursor/rules/x.mdc`, 'ai-agent-project-config'],
    [`${PROJECT}/.mcp.json`, 'ai-agent-project-config'],
    [`${DECOY}/.claude/settings.json`, 'ai-agent-user-config'],
    [`${DECOY}/.claude.json`, 'ai-agent-user-config'],
    ['/etc/hosts', 'system-accounts'],
    ['/etc/sudoers.d/runner', 'system-accounts'],
  ])('%s is %s', (path, entryId, ctx = dep) => {
    check('write', path, ctx, hit('persistence', 'error', entryId))
  })

  it('flags persistence attempts against the decoy home and says so', () => {
    check('write', `${DECOY}/.bashrc`, dep, hit('persistence', 'error', 'shell-rc', true))
    check('write', `${HOME}/.bashrc`, dep, hit('persistence', 'error', 'shell-rc', false))
  })

  it('does not let a broad grant such as ~ lift a persistence target', () => {
    check('write', `${DECOY}/.bashrc`, { ...dep, writableGrants: [DECOY] }, hit('persistence', 'error', 'shell-rc'))
  })

  it('lets a grant that names the target lift it (lefthook granted the git hooks dir)', () => {
    check('write', `${PROJECT}/.git/hooks/pre-commit`, { ...dep, writableGrants: [`${PROJECT}/.git/hooks`] }, null)
  })
})

describe('writes: package tamper', () => {
  it.each<[string, string, PathFinding['severity'], PathContext?]>([
    [`${PROJECT}/package.json`, 'project-manifests', 'error'],
    [`${PROJECT}/package-lock.json`, 'project-manifests', 'error'],
    [`${PROJECT}/.npmrc`, 'project-manifests', 'error'],
    [`${PROJECT}/packages/web/package.json`, 'project-manifests', 'error'],
    [`${PROJECT}/safe-install.policy.json`, 'project-manifests', 'error'],
    [`${PROJECT}/node_modules/lodash/index.js`, 'other-package', 'error'],
    [`${PROJECT}/node_modules/@babel/core/lib/index.js`, 'other-package', 'error'],
    [`${PROJECT}/node_modules/planted-pkg`, 'other-package', 'error'],
    [`${PROJECT}/node_modules/.bin/tsc`, 'node-modules-metadata', 'error'],
    [`${PROJECT}/node_modules/.package-lock.json`, 'node-modules-metadata', 'error'],
    [`${PROJECT}/node_modules/.prisma/client/index.js`, 'node-modules-metadata', 'error', { ...dep, packageDir: `${PROJECT}/node_modules/@prisma/client` }],
    [`${PKG}/package.json`, 'own-manifest', 'warning'],
    [`${PROJECT}/node_modules/a/index.js`, 'other-package', 'error', { ...dep, packageDir: `${PROJECT}/node_modules/a/node_modules/b` }],
  ])('%s is %s', (path, entryId, severity, ctx = dep) => {
    check('write', path, ctx, hit('package-tamper', severity, entryId))
  })
})

describe('writes: outside the package', () => {
  it.each<[string, string, PathFinding['severity']]>([
    ['/tmp/processor.sh', 'shared-tmp', 'warning'],
    ['/var/tmp/ld.py', 'shared-tmp', 'warning'],
    [`${HOME}/.cache/puppeteer/chrome/x`, 'outside-package', 'error'],
    [`${PROJECT}/src/index.js`, 'outside-package', 'error'],
    ['/etc/resolv.conf', 'outside-package', 'error'],
    ['/dev/sda', 'outside-package', 'error'],
    ['/proc/1/oom_score_adj', 'outside-package', 'error'],
    ['/usr/lib/node_modules/npm/node_modules/node-gyp/gyp/pylib/gyp/__pycache__/common.cpython-312.pyc', 'python-bytecode', 'note'],
  ])('%s is %s', (path, entryId, severity) => {
    check('write', path, dep, hit('write-outside-package', severity, entryId))
  })

  it('counts a write into the real home as outside the package even where that home lies under /tmp', () => {
    const tmpHome = { ...dep, realHome: '/tmp/ci/home' }
    check('write', '/tmp/ci/home/.cache/beside.txt', tmpHome, hit('write-outside-package', 'error', 'outside-package'))
    check('write', '/tmp/ci/other.txt', tmpHome, hit('write-outside-package', 'warning', 'shared-tmp'))
    check('write', '/tmp/ci/home/.cache/tool/bin', { ...tmpHome, writableGrants: ['/tmp/ci/home/.cache/tool'] }, null)
  })

  it('counts opening a browser profile or wallet for writing as touching the credential', () => {
    check('write', `${DECOY}/.config/google-chrome/Default/Preferences`, dep, hit('credential-read', 'error', 'browser-profiles', true))
    check('write', `${HOME}/.config/Exodus/exodus.wallet/seed.seco`, dep, hit('credential-read', 'error', 'crypto-wallets'))
  })
})

describe('writes that are fine', () => {
  const gitClone = { ...dep, packageDir: `${DECOY}/.npm/_cacache/tmp/git-cloneXYZ` }
  it.each<[string, string, PathContext?]>([
    ['/dev/null', 'the null device'],
    ['/dev/tty', 'the terminal'],
    ['/dev/fd/3', 'an inherited descriptor'],
    ['/dev/pts/0', 'a pseudo terminal'],
    ['/dev/shm/sem.mp-1234', 'shared memory (python multiprocessing)'],
    ['/proc/self/oom_score_adj', 'its own /proc entry'],
    ['/proc/77/comm', 'its own /proc entry by pid', { ...dep, pid: 77 }],
    [`${TMP}/x.js`, "the hook's private tmp"],
    [`${TMP}/clone/.git/hooks/pre-commit.sample`, "a clone in the hook's private tmp"],
    [`${PKG}/build/Release/addon.node`, 'a node-gyp build in its own directory'],
    [`${PKG}/lib/npm-install/node_modules/@esbuild/linux-x64/bin/esbuild`, "esbuild's npm fallback inside its own directory"],
    [`${PKG}/bin/esbuild`, 'its own binary'],
    [`${PKG}/install.js`, 'deleting its own install script'],
    [`${DECOY}/.cache/node-gyp/20.19.0/include/node/node.h`, "node-gyp's headers in the decoy home"],
    [`${DECOY}/.npm/_cacache/content-v2/sha512/ab/cd`, "npm's cache in the decoy home"],
    [`${DECOY}/.npm/_logs/2026-01-01-debug-0.log`, "npm's logs in the decoy home"],
    [`${DECOY}/.cache/puppeteer/chrome/linux-131/chrome`, "puppeteer's browser in the decoy home"],
    [`${DECOY}/.cache/ms-playwright/chromium-1140/chrome`, "playwright's browser in the decoy home"],
    [`${DECOY}/.config/configstore/update-notifier-x.json`, "update-notifier's state in the decoy home"],
    [`${HOME}/.cache/puppeteer/chrome/x`, 'a granted cache in the real home', { ...dep, writableGrants: [`${HOME}/.cache/puppeteer/`] }],
    [`${PROJECT}/node_modules/.prisma/client/index.js`, "prisma's client, granted", { ...dep, packageDir: `${PROJECT}/node_modules/@prisma/client`, writableGrants: [`${PROJECT}/node_modules/.prisma`] }],
    [`${PROJECT}/.git/config.lock`, 'husky setting core.hooksPath (root)', root],
    [`${PROJECT}/.git/config`, 'husky setting core.hooksPath (root)', root],
    [`${PROJECT}/.husky/_/h`, "husky's hook shims (root)", root],
    [`${PROJECT}/.git/hooks/pre-commit`, 'simple-git-hooks (root)', root],
    [`${PROJECT}/node_modules/lodash/index.js`, 'patch-package editing another package (root)', root],
    [`${PROJECT}/public/mockServiceWorker.js`, "msw's worker in the project (root)", root],
    [`${PROJECT}/package.json`, 'npm pkg set (root)', root],
    [`${DECOY}/.npm/_cacache/tmp/git-cloneXYZ/.git/config`, 'husky in the prepare of a git dependency (its own clone)', gitClone],
  ])('%s: %s', (path, _what, ctx = dep) => {
    check('write', path, ctx, null)
  })
})

describe('the shipped catalogue', () => {
  const file = JSON.parse(readFileSync(new URL('../../../policies/trace/sensitive-paths.json', import.meta.url), 'utf8')) as SensitivePathsFile

  it('has unique ids and every kind', () => {
    const ids = file.entries.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(file.entries.map((e) => e.kind))).toEqual(new Set(['credential', 'persistence', 'tamper']))
    expect(rules.entries).toHaveLength(file.entries.length)
  })

  it('gives every entry a description and, for credentials and persistence, the accesses that make sense', () => {
    for (const entry of file.entries) {
      expect(entry.description, entry.id).toMatch(/^[^\n]{10,200}$/)
      if (entry.kind === 'credential') expect(['read', 'any'], entry.id).toContain(entry.access)
      else expect(entry.access, entry.id).toBe('write')
    }
  })
})

describe('loadPathRules', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  const loadWith = (data: unknown): void => {
    dir = mkdtempSync(join(tmpdir(), 'si-paths-'))
    copyFileSync(new URL('../../../policies/trace/sensitive-paths.schema.json', import.meta.url), join(dir, 'sensitive-paths.schema.json'))
    writeFileSync(join(dir, 'sensitive-paths.json'), JSON.stringify(data))
    loadPathRules(pathToFileURL(`${dir}/`))
  }
  const entry = { id: 'x', kind: 'credential', access: 'read', patterns: ['~/.x'], description: 'a test entry here' }

  it('accepts a minimal valid file', () => {
    expect(() => { loadWith({ entries: [entry] }) }).not.toThrow()
  })

  it.each<[string, unknown, RegExp]>([
    ['an unknown field', { entries: [{ ...entry, extra: 1 }] }, /sensitive-paths\.json: entries\.0: unknown field "extra"/],
    ['a relative pattern', { entries: [{ ...entry, patterns: ['.npmrc'] }] }, /entries\.0\.patterns\.0/],
    ['a .. segment', { entries: [{ ...entry, patterns: ['~/../etc/shadow'] }] }, /entries\.0\.patterns\.0/],
    ['a credential counted on write', { entries: [{ ...entry, access: 'write' }] }, /entries\.0\.access/],
    ['a persistence target counted on read', { entries: [{ ...entry, kind: 'persistence' }] }, /entries\.0\.access/],
    ['a ** inside a segment', { entries: [{ ...entry, patterns: ['~/a**b'] }] }, /\*\* must be a whole path segment/],
    ['a duplicate id', { entries: [entry, entry] }, /duplicate id "x"/],
  ])('refuses %s', (_what, data, message) => {
    expect(() => { loadWith(data) }).toThrow(message)
  })
})

describe('compilePathRules globs', () => {
  const one = (pattern: string): ReturnType<typeof compilePathRules> =>
    compilePathRules({ entries: [{ id: 't', kind: 'credential', access: 'read', patterns: [pattern], description: 'glob test entry' }] })
  it.each<[string, string, boolean]>([
    ['~/.ssh/**', `${DECOY}/.ssh`, true],
    ['~/.ssh/**', `${DECOY}/.ssh/a/b`, true],
    ['~/.ssh/**', `${DECOY}/.sshx`, false],
    ['/**/.env.*', '/a/b/.env.local', true],
    ['/**/.env.*', '/a/b/.env', false],
    ['/proc/*/environ', '/proc/1/task/2/environ', false],
    ['<project>/*.json', `${PROJECT}/a.json`, true],
    ['<project>/*.json', `${PROJECT}/a/b.json`, false],
    ['/etc/cron*/**', '/etc/crontab', true],
    ['/etc/cron*/**', '/etc/cron.daily/x', true],
    ['~/a.b', `${DECOY}/aXb`, false],
  ])('%s against %s is %s', (pattern, path, expected) => {
    expect(classifyPath('read', path, dep, one(pattern)) !== null).toBe(expected)
  })
})

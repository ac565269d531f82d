/**
 * Local npm registry (Verdaccio 6) for integration tests.
 *
 * Everything here talks to 127.0.0.1 only. The Verdaccio config has NO uplinks,
 * so a package that was not published to it simply does not exist (404); it
 * never proxies anywhere.
 *
 * Each registry runs in its own child process (test/helpers/verdaccio-server.cjs)
 * so that a test blocking its event loop (spawnSync, execFileSync...) cannot
 * dead-lock the registry it is talking to.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_ENTRY = path.join(HERE, 'verdaccio-server.cjs');

/** The serialisable part of a running registry (what globalSetup `provide`s). */
export interface RegistryInfo {
  /** e.g. "http://127.0.0.1:41234/" (always with a trailing slash). */
  url: string;
  /** Bearer token of the user the helper created (always set in practice). */
  token: string | undefined;
  /** Verdaccio's storage directory (published packages live under it). */
  storage: string;
}

export interface Registry extends RegistryInfo {
  /** Closes the server, then deletes its temp directory (storage included). */
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** When true, every package needs `$authenticated` for access AND publish. */
  requireAuth?: boolean;
}

export const REGISTRY_USER = 'si-test';

/** Starts a Verdaccio 6.8.0 on a free 127.0.0.1 port with a fresh temp storage. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<Registry> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'si-verdaccio-'));
  const storage = path.join(root, 'storage');
  await mkdir(storage, { recursive: true });
  const access = opts.requireAuth ? '$authenticated' : '$all';
  const config = {
    storage,
    // No uplinks at all: nothing is ever proxied to another registry.
    uplinks: {},
    packages: {
      '@*/*': { access, publish: '$authenticated', unpublish: '$authenticated' },
      '**': { access, publish: '$authenticated', unpublish: '$authenticated' },
    },
    auth: {
      htpasswd: {
        file: path.join(root, 'htpasswd'),
        max_users: 1000,
        // Fast hashing: these are throw-away test users.
        algorithm: 'sha1',
      },
    },
    web: { enable: false },
    flags: { searchRemote: false },
    server: { keepAliveTimeout: 5 },
    // Keep the child quiet; its output is captured and only shown on failure.
    log: { type: 'stdout', format: 'json', level: 'error' },
    max_body_size: '50mb',
  };
  const configFile = path.join(root, 'config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  const child = fork(SERVER_ENTRY, [configFile], {
    cwd: root,
    // Do not inherit vitest's loader flags or the caller's environment.
    execArgv: [],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = captureOutput(child);

  let port: number;
  try {
    port = await waitForListening(child, output, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const url = `http://127.0.0.1:${port}/`;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopChild(child);
    await rm(root, { recursive: true, force: true });
  };

  let token: string | undefined;
  try {
    token = await createUser(url, REGISTRY_USER, `pw-${randomBytes(12).toString('hex')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, token, storage, stop };
}

function captureOutput(child: ChildProcess): () => string {
  let buf = '';
  const add = (chunk: Buffer): void => {
    buf += chunk.toString('utf8');
    if (buf.length > 64 * 1024) buf = buf.slice(-64 * 1024);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => buf;
}

function waitForListening(child: ChildProcess, output: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Verdaccio did not start within ${timeoutMs} ms\n${output()}`));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      const msg = m as { type?: string; port?: number; message?: string };
      if (msg?.type === 'listening' && typeof msg.port === 'number') {
        cleanup();
        resolve(msg.port);
      } else if (msg?.type === 'error') {
        cleanup();
        reject(new Error(`Verdaccio failed to start: ${msg.message}\n${output()}`));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`Verdaccio exited during startup (code ${code}, signal ${signal})\n${output()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Creates (registers) a user on the registry and returns its bearer token.
 * This is the same request `npm adduser` makes against a legacy-auth registry.
 */
export async function createUser(url: string, name: string, password: string): Promise<string> {
  assertLoopback(url);
  const res = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || !body.token) {
    throw new Error(`creating user ${name} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

// ---------------------------------------------------------------------------
// npm configuration / environment
// ---------------------------------------------------------------------------

/** Throws unless the url points at 127.0.0.1 (the only host tests may talk to). */
export function assertLoopback(url: string): void {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`refusing non-loopback registry url: ${url}`);
}

/** "//127.0.0.1:PORT/" — npm's "nerf dart" key prefix for per-registry settings. */
export function nerfDart(url: string): string {
  const u = new URL(url);
  return `//${u.host}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}`;
}

let cachedNodedir: string | undefined;
/**
 * Directory whose include/node/ holds this node's headers (e.g. /usr). Written as
 * `nodedir=` so node-gyp never tries to download headers. If no headers are found
 * the guess is still written: node-gyp then fails instead of going online.
 */
export function localNodedir(): string {
  if (cachedNodedir) return cachedNodedir;
  const prefix = path.dirname(path.dirname(process.execPath));
  const candidates = [prefix, '/usr', '/usr/local'];
  const found = candidates.find((d) => existsSync(path.join(d, 'include', 'node', 'node_api.h'))) ?? prefix;
  cachedNodedir = found;
  return found;
}

export interface NpmrcOptions {
  /** Omit the auth token line (to test 401s). Default: include it if reg.token is set. */
  withToken?: boolean;
  /** Extra `key=value` lines appended at the end. */
  extra?: Record<string, string | number | boolean>;
}

/**
 * Text of an .npmrc that points npm (and anything reading npm config) at the
 * local registry only and disables npm's other network features.
 */
export function npmrcContent(reg: Pick<RegistryInfo, 'url' | 'token'>, opts: NpmrcOptions = {}): string {
  assertLoopback(reg.url);
  const lines = [`registry=${reg.url}`];
  if ((opts.withToken ?? true) && reg.token) lines.push(`${nerfDart(reg.url)}:_authToken=${reg.token}`);
  lines.push(
    'audit=false',
    'fund=false',
    'update-notifier=false',
    // Loopback is never sent through a proxy, even if one shows up in the env.
    'noproxy=127.0.0.1',
    // node-gyp: use the local headers; never download them.
    `nodedir=${localNodedir()}`,
  );
  for (const [k, v] of Object.entries(opts.extra ?? {})) lines.push(`${k}=${String(v)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `<dir>/.npmrc` pointing `registry=` at the local registry, with its
 * auth token line. Returns the file path.
 */
export async function writeNpmrc(
  dir: string,
  reg: Pick<RegistryInfo, 'url' | 'token'>,
  opts: NpmrcOptions = {},
): Promise<string> {
  const file = path.join(dir, '.npmrc');
  await mkdir(dir, { recursive: true });
  await writeFile(file, npmrcContent(reg, opts));
  return file;
}

/**
 * A minimal environment for running npm (or safe-install) in tests: PATH and a
 * temp HOME only, plus npm config locations pinned inside that HOME so neither
 * the real user config nor the machine's global npmrc is read. Nothing of the
 * caller's environment (tokens, npm_config_*, proxies) leaks into it.
 */
export function npmEnv(
  home: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    npm_config_userconfig: path.join(home, '.npmrc'),
    // Does not exist: npm ignores a missing global config file.
    npm_config_globalconfig: path.join(home, '.npmrc-global'),
    npm_config_cache: path.join(home, '.npm'),
    ...extra,
  };
}

// ---------------------------------------------------------------------------
// running commands
// ---------------------------------------------------------------------------

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Async spawn (own process group) that collects output and kills the whole
 * group on timeout. Default env: PATH only.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, opts.timeoutMs);
    }
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the npm CLI found on PATH. */
export function runNpm(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('npm', args, opts);
}

// ---------------------------------------------------------------------------
// publishing
// ---------------------------------------------------------------------------

/**
 * Publishes each package directory to the registry with `npm publish`
 * (scripts ignored), using a throw-away HOME/userconfig/cache so nothing from
 * the caller's npm setup is used. Runs a few publishes concurrently.
 */
export async function publishFixtures(
  reg: Pick<RegistryInfo, 'url' | 'token'>,
  dirs: string[],
  { concurrency = 8 }: { concurrency?: number } = {},
): Promise<void> {
  assertLoopback(reg.url);
  if (!reg.token) throw new Error('publishFixtures: the registry has no token (publishing needs a user)');
  const home = await mkdtemp(path.join(os.tmpdir(), 'si-publish-'));
  try {
    await writeNpmrc(home, reg);
    const env = npmEnv(home);
    const queue = [...dirs];
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
        const r = await runNpm(
          ['publish', '--ignore-scripts', '--registry', reg.url, '--userconfig', path.join(home, '.npmrc')],
          { cwd: dir, env, timeoutMs: 60_000 },
        );
        if (r.code !== 0) failures.push(`${dir}: exit ${r.code}\n${r.stderr}${r.stdout}`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, dirs.length)) }, worker));
    if (failures.length) throw new Error(`npm publish failed:\n${failures.join('\n')}`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Names of the packages in the given directories (their package.json "name"). */
export async function packageNames(dirs: string[]): Promise<string[]> {
  return Promise.all(
    dirs.map(async (d) => (JSON.parse(await readFile(path.join(d, 'package.json'), 'utf8')) as { name: string }).name),
  );
}

interface Packument {
  name: string;
  description?: string;
  readme?: string;
  'dist-tags'?: Record<string, string>;
  versions: Record<string, { dist: { tarball: string; [k: string]: unknown }; [k: string]: unknown }>;
}

/**
 * Copies already-published packages (every version, byte-identical tarballs and
 * the exact manifests npm publish produced) from one local registry to another
 * over HTTP, the way `npm publish` would PUT them. Much faster than running
 * `npm publish` again (one npm process costs ~0.5-1 s of CPU per package).
 */
export async function mirrorPackages(
  from: Pick<RegistryInfo, 'url' | 'token'>,
  to: Pick<RegistryInfo, 'url' | 'token'>,
  names: string[],
): Promise<void> {
  assertLoopback(from.url);
  assertLoopback(to.url);
  const auth = (reg: Pick<RegistryInfo, 'token'>): Record<string, string> =>
    reg.token ? { authorization: `Bearer ${reg.token}` } : {};
  const pkgPath = (name: string): string => name.replace('/', '%2f');

  await Promise.all(
    names.map(async (name) => {
      const res = await fetch(new URL(pkgPath(name), from.url), {
        headers: { accept: 'application/json', ...auth(from) },
      });
      if (!res.ok) throw new Error(`mirror: GET ${name} from ${from.url}: HTTP ${res.status}`);
      const doc = (await res.json()) as Packument;
      // One PUT per version, oldest first, as a sequence of publishes would do.
      for (const [version, manifest] of Object.entries(doc.versions)) {
        const srcTarball = manifest.dist.tarball;
        assertLoopback(srcTarball);
        const tgz = await fetch(srcTarball, { headers: auth(from) });
        if (!tgz.ok) throw new Error(`mirror: GET ${srcTarball}: HTTP ${tgz.status}`);
        const data = Buffer.from(await tgz.arrayBuffer());
        const filename = decodeURIComponent(new URL(srcTarball).pathname.split('/').pop() ?? `${name}-${version}.tgz`);
        const tags = Object.fromEntries(Object.entries(doc['dist-tags'] ?? {}).filter(([, v]) => v === version));
        const body = {
          _id: name,
          name,
          description: doc.description,
          'dist-tags': tags,
          versions: {
            [version]: { ...manifest, dist: { ...manifest.dist, tarball: new URL(`${pkgPath(name)}/-/${filename}`, to.url).href } },
          },
          access: null,
          readme: doc.readme,
          _attachments: {
            [filename]: { content_type: 'application/octet-stream', data: data.toString('base64'), length: data.length },
          },
        };
        const put = await fetch(new URL(pkgPath(name), to.url), {
          method: 'PUT',
          headers: { 'content-type': 'application/json', ...auth(to) },
          body: JSON.stringify(body),
        });
        if (!put.ok) throw new Error(`mirror: PUT ${name}@${version} to ${to.url}: HTTP ${put.status} ${await put.text()}`);
      }
    }),
  );
}

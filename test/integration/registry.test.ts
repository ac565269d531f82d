/// <reference path="../helpers/provided-context.d.ts" />
/**
 * Smoke test of the integration harness, which also pins down what PLAIN npm
 * does with our fixtures (the baseline safe-install is compared against).
 *
 * It never imports src/: it only exercises the local registries started by
 * test/helpers/global-setup.ts and the real npm CLI.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectStamps, copyProject, makeTempDir, removeDir } from '../helpers/fixtures.js';
import { run, runNpm, writeNpmrc } from '../helpers/registry.js';

const CANARY = 'si-canary-userconfig-token-0000';

describe('local registry harness (baseline npm behaviour)', () => {
  const open = inject('openRegistry');
  const auth = inject('authRegistry');
  let root: string;
  let home: string;
  let userconfig: string;
  /** {PATH, HOME} only: nothing from the test runner's environment leaks in. */
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await makeTempDir('si-registry-test-');
    home = path.join(root, 'home');
    await mkdir(home);
    // A user config holding a fake credential for a loopback host nobody listens on.
    userconfig = path.join(home, '.npmrc');
    await writeFile(userconfig, `//127.0.0.1:9/:_authToken=${CANARY}\n`);
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
  });

  afterAll(async () => {
    if (root) await removeDir(root);
  });

  async function install(project: string, dir: string, reg: typeof auth, withToken = true) {
    await copyProject(project, dir);
    await writeNpmrc(dir, reg, { withToken });
    return runNpm(['install', '--userconfig', userconfig], { cwd: dir, env, timeoutMs: 110_000 });
  }

  it('provides two loopback registries with tokens and all fixtures published', async () => {
    for (const reg of [open, auth]) {
      expect(new URL(reg.url).hostname).toBe('127.0.0.1');
      expect(reg.token).toBeTruthy();
    }
    expect(inject('fixturePackages').map((d) => path.basename(d))).toEqual(
      expect.arrayContaining(['benign-postinstall', 'native-addon', 'order-top', 'sleeper', 'bundler']),
    );

    // Open registry: anonymous reads work...
    const res = await fetch(new URL('native-addon', open.url));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { versions: Record<string, { scripts?: Record<string, string> }> };
    // npm publish turned binding.gyp into an explicit install script in the manifest.
    expect(doc.versions['1.0.0']?.scripts?.install).toBe('node-gyp rebuild');
    // ...and there are no uplinks: an unpublished name is a plain 404, never proxied.
    expect((await fetch(new URL('si-never-published-anywhere', open.url))).status).toBe(404);

    // Auth registry: anonymous reads are refused, the token works.
    expect((await fetch(new URL('benign-postinstall', auth.url))).status).toBe(401);
    const ok = await fetch(new URL('benign-postinstall', auth.url), {
      headers: { authorization: `Bearer ${auth.token}` },
    });
    expect(ok.status).toBe(200);
  });

  it('npm install of the basic project succeeds against the auth registry and runs every script', async () => {
    const dir = path.join(root, 'basic');
    const r = await install('basic', dir, auth);
    expect(r.code, r.stderr).toBe(0);
    const nm = path.join(dir, 'node_modules');

    // native-addon was compiled by the implicit `node-gyp rebuild` (local headers via nodedir).
    const hello = await run(process.execPath, ['-e', "process.stdout.write(require('native-addon').hello())"], {
      cwd: dir,
      env,
    });
    expect(hello.stdout, hello.stderr).toBe('world');

    expect(existsSync(path.join(nm, 'benign-postinstall', 'built.txt'))).toBe(true);
    expect(existsSync(path.join(nm, 'has-optional', 'ok.txt'))).toBe(true);
    // The optional dependency's failing postinstall does not fail the install; npm removes it.
    expect(existsSync(path.join(nm, 'optional-fails'))).toBe(false);

    // Lifecycle stamps: 3 events x 3 packages, each package in pre -> install -> post order.
    const stamps = await collectStamps(nm);
    expect(stamps).toHaveLength(9);
    for (const name of ['order-top', 'order-mid', 'order-leaf']) {
      expect(stamps.filter((s) => s.name === name).map((s) => s.event)).toEqual([
        'preinstall',
        'install',
        'postinstall',
      ]);
    }

    // Baseline: scripts see the real HOME and can read the user's .npmrc credentials.
    const loot = JSON.parse(readFileSync(path.join(nm, 'steal-npmrc', 'loot.json'), 'utf8'));
    expect(loot.envHome).toBe(home);
    expect(loot.fromEnvHome.content).toContain(CANARY);
    expect(loot.fromUserconfigEnv.content).toContain(CANARY);

    // Baseline: npm hands scripts HOME, PATH and npm_* variables (not the auth token itself).
    const scriptEnv = JSON.parse(readFileSync(path.join(nm, 'dump-env', 'env.json'), 'utf8'));
    expect(scriptEnv.HOME).toBe(home);
    expect(scriptEnv.npm_lifecycle_event).toBe('postinstall');
    expect(scriptEnv.npm_config_registry).toBe(auth.url);
    expect(JSON.stringify(scriptEnv)).not.toContain(auth.token);
  });

  it('npm install without the token fails with E401 against the auth registry', async () => {
    const dir = path.join(root, 'no-token');
    const r = await install('basic', dir, auth, false);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/E401|\b401\b/);
    expect(existsSync(path.join(dir, 'node_modules', 'benign-postinstall'))).toBe(false);
  });

  it('bundled dependencies ship inside the tarball, and plain npm runs their scripts', async () => {
    const dir = path.join(root, 'bundler');
    const r = await install('bundler', dir, open);
    expect(r.code, r.stderr).toBe(0);
    const inner = path.join(dir, 'node_modules', 'bundler', 'node_modules', 'bundled-inner');
    expect(existsSync(path.join(inner, 'package.json'))).toBe(true);
    expect(existsSync(path.join(inner, 'bundled-ran.txt'))).toBe(true);
  });

  it('a file: directory dependency is linked and its prepare script runs', async () => {
    const dir = path.join(root, 'with-prepare');
    const r = await install('with-prepare', dir, open);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(path.join(dir, 'node_modules', 'with-prepare')).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(dir, 'with-prepare-dir', 'prepared.txt'))).toBe(true);
  });
});

/**
 * vitest globalSetup for the integration project.
 *
 * Starts two local Verdaccio registries on 127.0.0.1:
 *   - "open":  anyone may read, publishing needs a user;
 *   - "auth":  reading and publishing both need a user (token).
 * Publishes every fixture under test/fixtures/packages/* to both, then exposes
 * them to tests via `inject('openRegistry')` / `inject('authRegistry')`
 * (types: test/helpers/provided-context.d.ts). Both are stopped (and their
 * storage deleted) on teardown.
 */
import type { TestProject } from 'vitest/node';
import { fixturePackageDirs } from './fixtures.js';
import {
  mirrorPackages,
  packageNames,
  publishFixtures,
  startRegistry,
  type Registry,
  type RegistryInfo,
} from './registry.js';

const info = (r: Registry): RegistryInfo => ({ url: r.url, token: r.token, storage: r.storage });

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: Registry[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((r) => r.stop()));
  };
  const t0 = Date.now();
  try {
    const [open, auth] = await Promise.all([
      startRegistry({ requireAuth: false }).then((r) => (started.push(r), r)),
      startRegistry({ requireAuth: true }).then((r) => (started.push(r), r)),
    ]);
    if (process.env.SI_TEST_DEBUG) console.error(`[global-setup] started ${Date.now() - t0} ms`);
    const dirs = fixturePackageDirs();
    // Real `npm publish` into the open registry, then an HTTP copy of exactly
    // what npm published into the auth one (halves the setup time).
    await publishFixtures(open, dirs);
    if (process.env.SI_TEST_DEBUG) console.error(`[global-setup] published ${Date.now() - t0} ms`);
    await mirrorPackages(open, auth, await packageNames(dirs));
    if (process.env.SI_TEST_DEBUG) console.error(`[global-setup] registries ready in ${Date.now() - t0} ms`);
    project.provide('openRegistry', info(open));
    project.provide('authRegistry', info(auth));
    project.provide('fixturePackages', dirs);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

/**
 * Paths to, and small utilities around, the fixture packages and projects.
 * See test/fixtures/README.md for what each fixture does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');
/** Publishable fixture packages: test/fixtures/packages/<name>/ */
export const PACKAGES_DIR = path.join(FIXTURES_DIR, 'packages');
/** Sample projects: test/fixtures/projects/<name>/ */
export const PROJECTS_DIR = path.join(FIXTURES_DIR, 'projects');

/** Absolute directories of every publishable fixture package (sorted). */
export function fixturePackageDirs(): string[] {
  return readdirSync(PACKAGES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(PACKAGES_DIR, d.name, 'package.json')))
    .map((d) => path.join(PACKAGES_DIR, d.name))
    .sort();
}

/** Creates a fresh temp directory (caller removes it, e.g. with removeDir). */
export function makeTempDir(prefix = 'si-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Copies test/fixtures/projects/<name> (including any nested file: dependency,
 * e.g. with-prepare/with-prepare-dir) to `dest` (created if needed), skipping
 * node_modules, lockfiles and .npmrc files. Returns `dest`.
 * The caller then writes the project's .npmrc with writeNpmrc(dest, registry).
 */
export async function copyProject(name: string, dest: string): Promise<string> {
  const src = path.join(PROJECTS_DIR, name);
  if (!existsSync(path.join(src, 'package.json'))) throw new Error(`no such fixture project: ${name}`);
  const skip = new Set(['node_modules', 'package-lock.json', '.npmrc']);
  await cp(src, dest, {
    recursive: true,
    filter: (from) => !skip.has(path.basename(from)),
  });
  return dest;
}

export interface Stamp {
  event: string;
  /** Epoch milliseconds with a fractional part (performance.timeOrigin + now()). */
  time: number;
  name: string;
}

/**
 * Reads the stamps.log written by the order-* probes under `nodeModulesDir`
 * (searching nested node_modules too) and returns all stamps sorted by time.
 */
export async function collectStamps(nodeModulesDir: string): Promise<Stamp[]> {
  const stamps: Stamp[] = [];
  const visit = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const pkgDir = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        await visit(pkgDir);
        continue;
      }
      const log = path.join(pkgDir, 'stamps.log');
      if (existsSync(log)) {
        for (const line of (await readFile(log, 'utf8')).split('\n')) {
          const [event, time, name] = line.trim().split(/\s+/);
          if (event && time && name) stamps.push({ event, time: Number(time), name });
        }
      }
      await visit(path.join(pkgDir, 'node_modules'));
    }
  };
  await visit(nodeModulesDir);
  return stamps.sort((a, b) => a.time - b.time);
}

/**
 * Every file under `dir` (a missing dir is empty): relative path → sha256 of its content, or
 * `-> target` for a symlink. Compare two trees, or one tree before and after a step.
 */
export function fileHashes(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isDirectory()) visit(full);
      else if (entry.isSymbolicLink()) files.set(rel, `-> ${readlinkSync(full)}`);
      else files.set(rel, createHash('sha256').update(readFileSync(full)).digest('hex'));
    }
  };
  if (existsSync(dir)) visit(dir);
  return files;
}

/** Time labelled steps of a slow test, to print once at the end (`timings` fills as `timed` runs). */
export function stopwatch(): { timings: Record<string, number>; timed: <T>(label: string, work: () => Promise<T>) => Promise<T> } {
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      timings[label] = Date.now() - t0;
    }
  };
  return { timings, timed };
}

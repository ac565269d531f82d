import type { RegistryInfo } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Registry where reads are anonymous ($all) and publishing needs a user. */
    openRegistry: RegistryInfo;
    /** Registry where every read and publish needs the token ($authenticated). */
    authRegistry: RegistryInfo;
    /** Absolute dirs of the fixture packages published to both registries. */
    fixturePackages: string[];
  }
}

export {};

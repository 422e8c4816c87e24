/**
 * dockerode, loaded on first use. Loading it takes ~0.2 s, about half of the CLI's start, and
 * packages mode (deploy, verify, render, a no-op re-run) never talks to a Docker engine: only
 * the code that constructs a client calls this; everything else imports its types only.
 */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

const requireCjs = createRequire(import.meta.url);

/** dockerode's client class (the module is CommonJS: `require` gives what `import` would). */
export function dockerode(): typeof Docker {
  return requireCjs('dockerode') as typeof Docker;
}

/**
 * dockerode, loaded on first use. Loaded alone it takes 0.2-0.26 s here, and packages mode
 * (deploy, verify, render, a no-op re-run) never talks to a Docker engine: without it a
 * command's whole process took 0.48 s instead of 0.60 (`cairn render --help`, medians of 20).
 * Only the code that constructs a client calls this; everything else imports its types only.
 */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

const requireCjs = createRequire(import.meta.url);

/** dockerode's client class (the module is CommonJS: `require` gives what `import` would). */
export function dockerode(): typeof Docker {
  return requireCjs('dockerode') as typeof Docker;
}

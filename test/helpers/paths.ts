/** Paths of the repository and its test fixtures, from the compiled test's location. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/** The repository root. */
export const repoRoot = findRoot();
/** test/fixtures (sources, not dist). */
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
/** The shared Packstack fixtures beside the repository (read-only). */
export const sharedPackstackDir = join(repoRoot, '..', 'shared', 'fixtures', 'packstack');

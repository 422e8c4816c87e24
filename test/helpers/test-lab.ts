/**
 * A real lab (containers booting systemd + OpenSSH) for integration tests of the apply engine:
 * up once per test file, down in test.after.always. Hosts come from cairn's own config loader.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadDeployment } from '../../src/config/deployment.js';
import type { Deployment } from '../../src/config/model.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { labPaths, type LabPaths } from '../../src/lab/lab-name.js';
import { repoRoot } from './paths.js';

/** A running test lab. */
export interface TestLab {
  name: string;
  root: string;
  paths: LabPaths;
  deployment: Deployment;
  /** Container name of a node (Docker), for `docker exec` from tests. */
  container: (node: string) => string;
  /** `cairn lab up` again: starts stopped nodes and re-attaches their networks. */
  up: () => Promise<void>;
  down: () => Promise<void>;
}

/** Brings up a lab of 1 controller and `computes` computes under a fresh temporary root. */
export async function startTestLab(prefix: string, computes: number, log: (s: string) => void): Promise<TestLab> {
  // The lab's setup script installs Docker and debootstrap when missing (no-op otherwise).
  execFileSync('sh', [join(repoRoot, 'scripts', 'lab-host-setup.sh')], { stdio: 'ignore' });
  const root = mkdtempSync(join(tmpdir(), `cairn-${prefix}-`));
  const name = `${prefix}${process.pid % 100000}`;
  const paths = labPaths(root, name);
  await labUp({ name, root, controllers: 1, computes, progressOut: { write: (s: string) => log(s.trimEnd()) } });
  const result = loadDeployment({
    answerFile: paths.answerFile,
    answerText: readFileSync(paths.answerFile, 'utf8'),
    inventoryFile: paths.inventory,
    inventoryText: readFileSync(paths.inventory, 'utf8'),
  });
  if (!result.deployment) throw new Error(`the lab's own files do not validate: ${JSON.stringify(result.problems)}`);
  return {
    name,
    root,
    paths,
    deployment: result.deployment,
    container: (node) => node,
    up: async () => {
      await labUp({ name, root, controllers: 1, computes, progressOut: { write: (s: string) => log(s.trimEnd()) } });
    },
    down: async () => {
      await labDown({ name, root, purge: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

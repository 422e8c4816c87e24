/**
 * Golden files: every file rendered for exampleDeployment(), byte for byte, under
 * test/golden/<host>/<path>. A change to a template or view-model shows up as a diff in review.
 * `UPDATE_GOLDEN=1` rewrites the golden tree (and removes files no longer rendered).
 */
import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { renderFiles } from '../../src/render/render-files.js';
import { packageRoot } from '../../src/render/templates.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const goldenDir = join(packageRoot(), 'test', 'golden');

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(goldenDir, join(e.parentPath, e.name)))
    .sort();
}

const rendered = renderFiles(exampleDeployment(), allServices);
const expected = new Map(rendered.map((f) => [join(f.host, f.path), f.content]));

if (process.env['UPDATE_GOLDEN'] === '1') {
  rmSync(goldenDir, { recursive: true, force: true });
  for (const [path, content] of expected) {
    const target = join(goldenDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

test('golden tree holds exactly the rendered files', (t) => {
  t.deepEqual(listFiles(goldenDir), [...expected.keys()].sort(), 'run with UPDATE_GOLDEN=1 to rewrite test/golden');
});

for (const [path, content] of expected) {
  test(`golden ${path}`, (t) => {
    const target = join(goldenDir, path);
    t.true(existsSync(target), `${target} is missing: run with UPDATE_GOLDEN=1`);
    t.is(content, readFileSync(target, 'utf8'));
  });
}

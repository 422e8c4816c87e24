/**
 * Every answer-file and inventory fixture, loaded through the whole config pipeline; the
 * printed problems must match `<fixture>.expected` exactly. valid-* fixtures must have no
 * error, invalid-* ones at least one.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadDeployment, type LoadResult } from '../../src/config/deployment.js';
import { formatProblem, hasErrors } from '../../src/config/problems.js';
import { matchesExpected } from '../helpers/expected.js';
import { fixturesDir, sharedPackstackDir } from '../helpers/paths.js';

function describe(result: LoadResult): string {
  const lines = result.problems.map(formatProblem);
  const d = result.deployment;
  lines.push(d ? `hosts: ${d.hosts.map((h) => `${h.name}=${h.roles.join('+')}`).join(' ')}` : 'no deployment');
  return lines.join('\n') + '\n';
}

function checkValidity(t: import('ava').ExecutionContext, name: string, result: LoadResult): void {
  if (name.startsWith('valid-')) {
    t.false(hasErrors(result.problems), `${name} should be valid`);
    t.truthy(result.deployment);
  } else {
    t.true(hasErrors(result.problems), `${name} should be invalid`);
    t.is(result.deployment, undefined);
  }
}

const answerDir = join(fixturesDir, 'answer-files');
for (const name of readdirSync(answerDir).filter((f) => f.endsWith('.ini'))) {
  test(`answer file ${name}`, (t) => {
    const result = loadDeployment({ answerFile: name, answerText: readFileSync(join(answerDir, name), 'utf8') });
    checkValidity(t, name, result);
    matchesExpected(t, describe(result), join(answerDir, name.replace(/\.ini$/, '.expected')));
  });
}

const inventoryDir = join(fixturesDir, 'inventories');
for (const name of readdirSync(inventoryDir).filter((f) => f.endsWith('.yml'))) {
  test(`inventory ${name}`, (t) => {
    const pairedIni = name.replace(/\.yml$/, '.ini');
    const ini = existsSync(join(inventoryDir, pairedIni)) ? pairedIni : 'base.ini';
    const result = loadDeployment({
      answerFile: ini,
      answerText: readFileSync(join(inventoryDir, ini), 'utf8'),
      inventoryFile: name,
      inventoryText: readFileSync(join(inventoryDir, name), 'utf8'),
    });
    checkValidity(t, name, result);
    matchesExpected(t, describe(result), join(inventoryDir, name.replace(/\.yml$/, '.expected')));
  });
}

// Real answer files people have on disk: they must load without a crash, every message
// explained. They switch on services cairn does not deploy, so they are invalid, for that reason only.
for (const name of ['legacy-4nodes.cfg', 'minimal-multinode.txt']) {
  test(`shared Packstack fixture ${name}`, (t) => {
    const path = join(sharedPackstackDir, name);
    t.true(existsSync(path), `${path} is missing: the shared fixtures must sit beside the repository`);
    const result = loadDeployment({ answerFile: basename(path), answerText: readFileSync(path, 'utf8') });
    matchesExpected(t, describe(result), join(fixturesDir, 'packstack-expected', `${name}.expected`));
    const errors = result.problems.filter((p) => p.severity === 'error');
    for (const e of errors) {
      t.regex(e.message, /does not deploy|not set|PW_PLACEHOLDER/, `unexpected error: ${formatProblem(e)}`);
    }
  });
}

/** One case file per step situation (test/fixtures/decide/*.json): step + facts -> decision. */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decide } from '../../src/apply/decide.js';
import type { Step } from '../../src/plan/steps.js';
import { factsFrom, type FactsJson } from '../helpers/facts.js';
import { fixturesDir } from '../helpers/paths.js';

interface Case {
  step: Step;
  facts: FactsJson;
  changed?: string[];
  osFamily?: 'debian' | 'rhel';
  expected: unknown;
}

const dir = join(fixturesDir, 'decide');
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  test(name.replace(/\.json$/, ''), (t) => {
    const c = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Case;
    const decision = decide(c.step, { facts: factsFrom(c.facts), changed: new Set(c.changed ?? []), osFamily: c.osFamily ?? 'debian' });
    t.deepEqual(decision, c.expected);
  });
}

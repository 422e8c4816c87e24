/** One case file per step situation (test/fixtures/decide/*.json): step + facts -> decision. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide, POLICY_RC_D } from '../../src/apply/decide.js';
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

test('the install-time policy-rc.d refuses starts and restarts and allows reloads (invoke-rc.d protocol)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-policy-'));
  const script = join(dir, 'policy-rc.d');
  writeFileSync(script, POLICY_RC_D, { mode: 0o755 });
  const verdict = (...args: string[]): number | null => spawnSync('sh', [script, ...args]).status;
  t.is(verdict('dbus', 'reload'), 0, "polkitd's postinst: invoke-rc.d dbus reload");
  t.is(verdict('--quiet', 'dbus', 'force-reload'), 0);
  t.is(verdict('mariadb', 'start'), 101);
  t.is(verdict('mariadb', 'restart'), 101);
  t.is(verdict('--quiet', 'nova-api', 'start', '2'), 101);
  t.is(verdict('apache2', 'reload restart'), 101, 'a list of actions with a start in it is refused');
});

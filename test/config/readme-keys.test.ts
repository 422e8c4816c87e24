/** The README documents exactly the keys cairn reads (generated block, kept in sync). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withKeysBlock } from '../../src/config/keys-doc.js';
import { KEYS } from '../../src/config/keys.js';
import { repoRoot } from '../helpers/paths.js';

test('README key reference is up to date (npm run docs rewrites it)', (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  t.is(readme, withKeysBlock(readme));
  for (const k of KEYS) t.true(readme.includes(`\`${k.name}\``), k.name);
});

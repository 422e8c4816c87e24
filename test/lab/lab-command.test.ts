/**
 * `cairn lab` usage errors: one line, exit 2, and nothing touched (these fail before any engine
 * is contacted, so they need no Docker).
 */
import test from 'ava';
import { runLabCli } from './helpers/lab-cli.js';

const cases: [string, string[], string][] = [
  ['a bad lab name', ['lab', 'up', '--name', 'Bad_Name'], "cairn: lab: lab name 'Bad_Name' must be lower-case letters, digits and single dashes, starting with a letter"],
  ['a count that is not a number', ['lab', 'up', '--computes', 'two'], "cairn: lab: --computes must be a whole number, not 'two'"],
  ['too many computes', ['lab', 'up', '--name', 'cmdtest', '--computes', '80'], 'cairn: lab: --computes must be a whole number from 0 to 79, not 80'],
  ['more than one controller', ['lab', 'up', '--name', 'cmdtest', '--controllers', '2'], 'cairn: lab: --controllers must be 1: cairn deploys a single control host (the address plan has room for 9 later)'],
  ['ssh into a lab that does not exist', ['lab', 'ssh', '--name', 'nosuchlab', 'ctrl1'], /^cairn: lab: lab nosuchlab does not exist here \(no .*\/\.cairn\/labs\/nosuchlab\/lab\.json\); run `cairn lab up --name nosuchlab`$/.source],
];

for (const [title, argv, message] of cases) {
  test(`usage error: ${title}`, async (t) => {
    const r = await runLabCli(argv);
    t.is(r.code, 2);
    t.is(r.err.length, 1, r.err.join('\n'));
    if (message.startsWith('^')) t.regex(r.err[0]!, new RegExp(message));
    else t.is(r.err[0], message);
    t.deepEqual(r.out, []);
  });
}

test('an unknown provider is refused by the option parser', async (t) => {
  const r = await runLabCli(['lab', 'up', '--provider', 'vmware']);
  t.is(r.code, 2);
  t.regex(r.err.join('\n'), /argument 'vmware' is invalid\. Allowed choices are docker, libvirt\./);
});

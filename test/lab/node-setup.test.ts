import test from 'ava';
import { spawnSync } from 'node:child_process';
import { planLab } from '../../src/lab/address-plan.js';
import { hostsBlock, nodeSetupScript, parseSetupOutput } from '../../src/lab/node-setup.js';

const plan = planLab('lab', { controllers: 1, computes: 2 }, 10);

test('the hosts block names the gateway and every node by management address', (t) => {
  t.is(
    hostsBlock(plan),
    '# BEGIN cairn lab lab\n198.18.10.1\tlab-gateway\n198.18.10.11\tlab-ctrl1\n198.18.10.21\tlab-cmp1\n198.18.10.22\tlab-cmp2\n# END cairn lab lab',
  );
});

test('the setup script is valid sh and carries the key, the time source and the interface checks', (t) => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample cairn-lab-lab it's";
  const script = nodeSetupScript(plan, plan.nodes[1]!, key);
  const syntax = spawnSync('sh', ['-n'], { input: script });
  t.is(syntax.status, 0, syntax.stderr.toString());
  t.true(script.includes(`key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample cairn-lab-lab it'\\''s'`), 'the key is quoted for sh');
  t.true(script.includes("sources='server 198.18.10.1 iburst'"));
  t.true(script.includes("grep -qF ' 198.18.10.21/24 '"));
  t.true(script.includes("grep -qF ' 198.19.10.21/24 '"));
  t.true(script.includes("-e '/^198\\.19\\.10\\.21[[:space:]]/d'"), "Docker's external-address line for the node's own name is dropped");
});

test('the hosts rewrite keeps foreign lines and replaces only the block', (t) => {
  // Run just the /etc/hosts part of the logic on a scratch file, with real sh and sed.
  const script = nodeSetupScript(plan, plan.nodes[0]!, 'ssh-ed25519 AAAA k');
  const part = script.slice(script.indexOf('block='), script.indexOf('# Time from the lab gateway'));
  const before = '127.0.0.1\tlocalhost\n198.18.10.11\tlab-ctrl1\n# BEGIN cairn lab lab\n198.18.10.99\tstale\n# END cairn lab lab\n198.19.10.11\tlab-ctrl1\n';
  const scratch = part.replaceAll('cat /etc/hosts', 'cat "$f"').replaceAll('> /etc/hosts', '> "$f"');
  const run = (hosts: string): string => {
    const r = spawnSync('sh', ['-c', `set -eu; changed=''; f=$(mktemp); printf '%s' "$HOSTS" > "$f"; ${scratch} cat "$f"; echo "changed:$changed"; rm -f "$f"`], {
      env: { ...process.env, HOSTS: hosts },
    });
    t.is(r.status, 0, r.stderr.toString());
    return r.stdout.toString();
  };
  const after = `127.0.0.1\tlocalhost\n198.18.10.11\tlab-ctrl1\n${hostsBlock(plan)}\n`;
  t.is(run(before), `${after}changed: /etc/hosts\n`);
  t.is(run(after), `${after}changed:\n`, 'a second run changes nothing');
});

test('setup output names what changed', (t) => {
  t.deepEqual(parseSetupOutput('noise\nchanged: authorized_keys /etc/hosts chrony\n'), ['authorized_keys', '/etc/hosts', 'chrony']);
  t.deepEqual(parseSetupOutput('changed:\n'), []);
  t.deepEqual(parseSetupOutput(''), []);
});

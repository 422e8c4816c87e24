/**
 * The CLI as a user meets it: exit codes, messages, files written. Most cases call main()
 * in-process with captured output; one spawns bin/cairn.js to check the real process.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';

const run = runCli;

const tmp = (): string => mkdtempSync(join(tmpdir(), 'cairn-cli-'));
const valid = join(fixturesDir, 'answer-files', 'valid-minimal.ini');

/** The seed lab's edits (shared/fixtures/packstack/README.md) applied to a generated file. */
const SEED_EDITS: Record<string, string> = {
  CONFIG_CONTROLLER_HOST: '192.168.1.10',
  CONFIG_NTP_SERVERS: '192.168.1.254',
  CONFIG_COMPUTE_HOSTS: '192.168.1.11',
  CONFIG_NETWORK_HOSTS: '192.168.1.10,192.168.1.11',
  CONFIG_KEYSTONE_ADMIN_PW: 'a',
  CONFIG_NEUTRON_ML2_TYPE_DRIVERS: 'flat,vxlan',
  CONFIG_NEUTRON_ML2_VXLAN_GROUP: '239.1.1.5',
  CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS: 'physnet1:br-ex',
  CONFIG_NEUTRON_OVS_BRIDGE_IFACES: 'br-ex:eth0',
  CONFIG_PROVISION_DEMO: 'n',
  CONFIG_SWIFT_INSTALL: 'n',
  CONFIG_CEILOMETER_INSTALL: 'n',
  CONFIG_AODH_INSTALL: 'n',
  CONFIG_GNOCCHI_INSTALL: 'n',
};

function edit(text: string, edits: Record<string, string>): string {
  let out = text;
  for (const [k, v] of Object.entries(edits)) {
    const re = new RegExp(`^${k}=.*$`, 'm');
    if (!re.test(out)) throw new Error(`${k} is not in the generated file`);
    out = out.replace(re, `${k}=${v}`);
  }
  return out;
}

test('gen-answer-file writes a 0600 file with fresh passwords and refuses to overwrite', async (t) => {
  const dir = tmp();
  const a = join(dir, 'a.ini');
  const b = join(dir, 'b.ini');
  t.is((await run('gen-answer-file', a)).code, 0);
  t.is((await run('deploy', '--gen-answer-file', b)).code, 0, 'Packstack spelling works too');
  t.is(statSync(a).mode & 0o777, 0o600);
  const pw = (f: string): string => /^CONFIG_KEYSTONE_ADMIN_PW=(.+)$/m.exec(readFileSync(f, 'utf8'))![1]!;
  t.regex(pw(a), /^[0-9a-f]{32}$/);
  t.not(pw(a), pw(b), 'each file gets its own passwords');

  const before = readFileSync(a, 'utf8');
  const again = await run('gen-answer-file', a);
  t.is(again.code, 2);
  t.is(again.err, `cairn: ${a} exists; pass --force to overwrite it`);
  t.is(readFileSync(a, 'utf8'), before, 'the existing file is untouched');

  writeFileSync(a, 'x', { mode: 0o644 });
  t.is((await run('gen-answer-file', '--force', a)).code, 0);
  t.is(statSync(a).mode & 0o777, 0o600, 'an overwritten file is made private too');
  t.not(pw(a), pw(b));
});

test('a generated file lists every key with a comment and the not-deployed toggles set to n', async (t) => {
  const file = join(tmp(), 'g.ini');
  await run('gen-answer-file', file);
  const text = readFileSync(file, 'utf8');
  t.regex(text, /^\[general\]$/m);
  t.regex(text, /# Physnet to OVS bridge mappings\.\n# Expects: physnet:bridge list\. Default: extnet:br-ex\nCONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS=extnet:br-ex/);
  t.regex(text, /^CONFIG_CINDER_INSTALL=n$/m);
  t.regex(text, /^CAIRN_DEPLOY_MODE=packages$/m);
  // Without a controller it is incomplete, and validate says exactly that.
  const r = await run('validate', '-a', file);
  t.is(r.code, 2);
  t.regex(r.err, /g\.ini:\d+: CONFIG_CONTROLLER_HOST: no controller: set the controller's address here, or pass --inventory/);
});

test("the seed lab's settings on a generated file validate and render", async (t) => {
  const dir = tmp();
  const file = join(dir, 'seed.ini');
  await run('gen-answer-file', file);
  writeFileSync(file, edit(readFileSync(file, 'utf8'), SEED_EDITS));
  const v = await run('validate', '-a', file);
  t.is(v.code, 0, v.err);
  t.regex(v.out, /valid \(1 warning\); 192\.168\.1\.10 \(control\+network\), 192\.168\.1\.11 \(network\+compute\)/);
  t.regex(v.err, /CONFIG_KEYSTONE_ADMIN_PW: is 1 character long/);
  const r = await run('render', '-a', file, '-o', join(dir, 'out'));
  t.is(r.code, 0, r.err);
  const bridge = readFileSync(join(dir, 'out', '192.168.1.11', 'etc/network/interfaces.d/cairn-br-ex'), 'utf8');
  t.regex(bridge, /eth0/);
  const ml2 = readFileSync(join(dir, 'out', '192.168.1.10', 'etc/neutron/plugins/ml2/ml2_conf.ini'), 'utf8');
  t.regex(ml2, /vxlan_group\s*=\s*239\.1\.1\.5/);
});

test('validate: exit 0 with a summary for a valid file, 2 with every problem for an invalid one', async (t) => {
  const ok = await run('validate', '--answer-file', valid);
  t.is(ok.code, 0);
  t.regex(ok.out, /valid-minimal\.ini: valid; 198\.18\.10\.11 \(control\+network\), 198\.18\.10\.12 \(compute\), 198\.18\.10\.13 \(compute\)/);

  const bad = join(fixturesDir, 'answer-files', 'invalid-types.ini');
  const r = await run('validate', '-a', bad);
  t.is(r.code, 2);
  const lines = r.err.split('\n');
  t.is(lines.slice(0, -1).filter((l) => l.startsWith(bad + ':')).length, 20, 'all 20 errors at once');
  t.is(lines.at(-1), `${bad}: invalid (20 errors, 1 warning)`);
});

test('validate --json prints the problems as an array', async (t) => {
  const r = await run('validate', '-a', join(fixturesDir, 'answer-files', 'invalid-fullwidth.ini'), '--json');
  t.is(r.code, 2);
  const problems = JSON.parse(r.out) as { severity: string; line: number; column?: number; key: string; message: string; text: string }[];
  t.is(problems[0]!.key, 'CONFIG_COMPUTE_HOSTS');
  t.is(problems[0]!.line, 4);
  t.is(problems[0]!.column, 34);
  t.regex(problems[0]!.message, /full-width comma '，' \(U\+FF0C\)/);
  t.is(problems.filter((p) => p.severity === 'warning').length, 2, 'the em dash in a password, and its length');
});

test('validate with an inventory reports both files', async (t) => {
  const inv = join(fixturesDir, 'inventories');
  const r = await run('validate', '-a', join(inv, 'invalid-disagree.ini'), '-i', join(inv, 'invalid-disagree.yml'));
  t.is(r.code, 2);
  t.regex(r.err, /invalid-disagree\.ini:4: CONFIG_CONTROLLER_HOST: 198\.18\.10\.99 is not a host of the inventory \(.*invalid-disagree\.yml:28: groups\/control has lab-ctrl1\)/);
});

test('missing files and bad usage: one line, exit 2, no stack trace', async (t) => {
  const missing = await run('validate', '-a', '/nonexistent/answer.ini');
  t.is(missing.code, 2);
  t.is(missing.err, 'cairn: cannot read answer file /nonexistent/answer.ini: no such file or directory');
  const noOption = await run('validate');
  t.is(noOption.code, 2);
  t.regex(noOption.err, /required option '-a, --answer-file <file>' not specified/);
  const unknown = await run('frobnicate');
  t.is(unknown.code, 2);
  t.false(/\n\s+at /.test(unknown.err + missing.err + noOption.err), 'no stack trace');
});

test('render writes host trees and a manifest, byte-identical on a second run', async (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  t.is((await run('render', '-a', valid, '-o', out)).code, 0);
  const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
  const parsed = JSON.parse(manifest) as { files: { host: string; path: string; sha256: string; restarts: string[] }[] };
  t.true(parsed.files.length > 20);
  const keystone = parsed.files.find((f) => f.path === '/etc/keystone/keystone.conf')!;
  t.is(keystone.host, '198.18.10.11');
  t.deepEqual(keystone.restarts, ['keystone']);
  for (const f of parsed.files) {
    const bytes = readFileSync(join(out, f.host, f.path));
    t.is(execFileSync('sha256sum', { input: bytes }).toString().split(' ')[0], f.sha256, `${f.host}:${f.path}`);
    t.is(statSync(join(out, f.host, f.path)).mode & 0o777, 0o600, 'rendered secrets stay private');
  }
  const firstKeystone = readFileSync(join(out, '198.18.10.11/etc/keystone/keystone.conf'));
  t.is((await run('render', '-a', valid, '-o', out)).code, 0, 'an earlier render is replaced');
  t.is(readFileSync(join(out, 'manifest.json'), 'utf8'), manifest);
  t.deepEqual(readFileSync(join(out, '198.18.10.11/etc/keystone/keystone.conf')), firstKeystone);
});

test('render refuses a non-empty directory that is not an earlier render, and invalid input', async (t) => {
  const dir = tmp();
  mkdirSync(join(dir, 'stuff'));
  writeFileSync(join(dir, 'stuff', 'keep.txt'), 'mine');
  const r = await run('render', '-a', valid, '-o', join(dir, 'stuff'));
  t.is(r.code, 2);
  t.regex(r.err, /is not empty and holds no manifest\.json/);
  t.deepEqual(readdirSync(join(dir, 'stuff')), ['keep.txt']);

  const bad = await run('render', '-a', join(fixturesDir, 'answer-files', 'invalid-rules.ini'), '-o', join(dir, 'out'));
  t.is(bad.code, 2);
  t.regex(bad.err, /invalid; nothing rendered$/);
});

test('the installed bin runs as a process with the right exit codes', (t) => {
  const bin = join(repoRoot, 'bin', 'cairn.js');
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  t.is(help.status, 0);
  t.regex(help.stdout, /gen-answer-file/);
  t.regex(help.stdout, /validate/);
  t.regex(help.stdout, /render/);
  const bad = spawnSync(process.execPath, [bin, 'validate', '-a', join(fixturesDir, 'answer-files', 'invalid-syntax.ini')], { encoding: 'utf8' });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /invalid-syntax\.ini:7: CONFIG_CONTROLLER_HOST: is set twice \(first on line 4\); keep one/);
});

test('deploy with CAIRN_DEPLOY_MODE=containers takes the containers path: its dry run is refused, exit 2, no host touched', async (t) => {
  const dir = tmp();
  const file = join(dir, 'containers.ini');
  writeFileSync(file, `${readFileSync(valid, 'utf8')}\nCAIRN_DEPLOY_MODE=containers\n`);
  const r = await run('deploy', '-a', file, '--dry-run', '--state-dir', join(dir, 'state'));
  t.is(r.code, 2, r.err);
  t.regex(r.err, /--dry-run is not available with CAIRN_DEPLOY_MODE=containers yet/);
  t.regex(r.err, /no host was touched/);
  t.notRegex(r.err, /^\s+at /m, 'no stack trace');
});

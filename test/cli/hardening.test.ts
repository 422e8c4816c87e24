/**
 * The reproductions of the hostile review, each through the CLI as a user runs it: render never
 * reads, writes or deletes outside --out, no input hangs, output-directory mistakes are exit 2
 * with a line naming the path, secrets files are 0600 whatever was there before.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { fixturesDir } from '../helpers/paths.js';

const run = runCli;

const tmp = (): string => mkdtempSync(join(tmpdir(), 'cairn-hard-'));
const answer = join(fixturesDir, 'answer-files', 'valid-minimal.ini');
/** The controller of valid-minimal.ini: its host directory in a render. */
const CTRL = '198.18.10.11';

/** Exit 2, one `cairn: ...` line that names `path`, no stack trace. */
function refused(t: import('ava').ExecutionContext, r: { code: number; err: string }, path: string, why: RegExp): void {
  t.is(r.code, 2, r.err);
  t.notRegex(r.err, /internal error|\n\s+at /, 'no stack trace');
  t.true(r.err.includes(path), `names ${path}: ${r.err}`);
  t.regex(r.err, why);
}

test('render never deletes what a foreign manifest names outside --out (../victim, /abs, .., a/b)', async (t) => {
  for (const host of ['../victim', '../../etc', '/tmp', '..', '.', 'a/b', '']) {
    const dir = tmp();
    mkdirSync(join(dir, 'victim'));
    writeFileSync(join(dir, 'victim', 'f'), 'keep\n');
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out', 'manifest.json'), JSON.stringify({ cairn: '0.1.0', hosts: [], files: [{ host, path: '/x' }] }));
    const r = await run('render', '-a', answer, '-o', join(dir, 'out'));
    refused(t, r, join(dir, 'out', 'manifest.json'), /not a manifest cairn wrote .*is not a host name/);
    t.is(readFileSync(join(dir, 'victim', 'f'), 'utf8'), 'keep\n', `host ${host}: the victim is intact`);
    t.deepEqual(readdirSync(join(dir, 'out')), ['manifest.json'], 'the output directory is as it was');
  }
});

test('render never writes through a symlinked host directory, manifest or stray entry', async (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  t.is((await run('render', '-a', answer, '-o', out)).code, 0);

  // The controller's directory replaced by a link to another directory.
  rmSync(join(out, CTRL), { recursive: true });
  symlinkSync(elsewhere, join(out, CTRL));
  refused(t, await run('render', '-a', answer, '-o', out), join(out, CTRL), /is a symbolic link, not the host directory/);
  t.deepEqual(readdirSync(elsewhere), [], 'nothing written through the link');
  t.true(lstatSync(join(out, CTRL)).isSymbolicLink(), 'and nothing removed');
  rmSync(join(out, CTRL));

  // manifest.json itself a link (to a file that would be overwritten).
  const target = join(dir, 'precious.json');
  writeFileSync(target, readFileSync(join(out, 'manifest.json')));
  const original = readFileSync(target, 'utf8');
  rmSync(join(out, 'manifest.json'));
  symlinkSync(target, join(out, 'manifest.json'));
  refused(t, await run('render', '-a', answer, '-o', out), join(out, 'manifest.json'), /symbolic link/);
  t.is(readFileSync(target, 'utf8'), original);
  rmSync(join(out, 'manifest.json'));
  writeFileSync(join(out, 'manifest.json'), original);

  // An entry the earlier render did not write (a link named like a future host).
  symlinkSync(elsewhere, join(out, 'not-a-host'));
  refused(t, await run('render', '-a', answer, '-o', out), join(out, 'not-a-host'), /was not written by the earlier render/);
  t.deepEqual(readdirSync(elsewhere), []);
});

test('a symlink planted inside a host directory is removed with it, its target untouched', async (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'keep'), 'keep\n');
  t.is((await run('render', '-a', answer, '-o', out)).code, 0);
  rmSync(join(out, CTRL, 'etc'), { recursive: true });
  symlinkSync(elsewhere, join(out, CTRL, 'etc'));
  const r = await run('render', '-a', answer, '-o', out);
  t.is(r.code, 0, r.err);
  t.deepEqual(readdirSync(elsewhere), ['keep']);
  t.false(lstatSync(join(out, CTRL, 'etc')).isSymbolicLink());
  t.true(existsSync(join(out, CTRL, 'etc', 'keystone', 'keystone.conf')));
});

test('every rendered file is 0600 on every render, also one that was 0644 (keystonerc_admin)', async (t) => {
  const out = join(tmp(), 'out');
  t.is((await run('render', '-a', answer, '-o', out)).code, 0);
  const rc = join(out, CTRL, 'root', 'keystonerc_admin');
  chmodSync(rc, 0o644);
  t.is((await run('render', '-a', answer, '-o', out)).code, 0);
  t.is(statSync(rc).mode & 0o777, 0o600);
  t.regex(readFileSync(rc, 'utf8'), /OS_PASSWORD/);
  const modes = execFileSync('find', [out, '-type', 'f', '-printf', '%m\n'], { encoding: 'utf8' }).trim().split('\n');
  t.deepEqual([...new Set(modes)], ['600']);
  const dirModes = execFileSync('find', [out, '-type', 'd', '-printf', '%m\n'], { encoding: 'utf8' }).trim().split('\n');
  t.deepEqual([...new Set(dirModes)], ['700']);
});

test('a host directory the earlier manifest does not name is refused, not written into (its 0644 keystonerc_admin stayed 0644)', async (t) => {
  const out = join(tmp(), 'out');
  t.is((await run('render', '-a', answer, '-o', out)).code, 0);
  // As if the earlier render had been of other hosts, and this directory someone else's.
  const path = join(out, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as { files: { host: string }[] };
  m.files = m.files.filter((f) => f.host !== CTRL);
  writeFileSync(path, JSON.stringify(m));
  const rc = join(out, CTRL, 'root', 'keystonerc_admin');
  chmodSync(rc, 0o644);
  refused(t, await run('render', '-a', answer, '-o', out), join(out, CTRL), /was not written by the earlier render/);
  t.is(statSync(rc).mode & 0o777, 0o644, 'left as it was');
});

test('gen-answer-file --force makes an existing 0644 file 0600; it never writes through a link or into a FIFO or device', async (t) => {
  const dir = tmp();
  const file = join(dir, 'answer.ini');
  writeFileSync(file, 'old\n', { mode: 0o644 });
  chmodSync(file, 0o644);
  t.is((await run('gen-answer-file', '--force', file)).code, 0);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.regex(readFileSync(file, 'utf8'), /^CONFIG_KEYSTONE_ADMIN_PW=[0-9a-f]{32}$/m);

  const target = join(dir, 'target');
  writeFileSync(target, 'mine\n');
  symlinkSync(target, join(dir, 'link.ini'));
  refused(t, await run('gen-answer-file', '--force', join(dir, 'link.ini')), join(dir, 'link.ini'), /symbolic link/);
  t.is(readFileSync(target, 'utf8'), 'mine\n');

  execFileSync('mkfifo', [join(dir, 'fifo')]);
  refused(t, await run('gen-answer-file', '--force', join(dir, 'fifo')), join(dir, 'fifo'), /FIFO/);
  refused(t, await run('gen-answer-file', '--force', '/dev/null'), '/dev/null', /character device, not a regular file/);
});

test('output-directory mistakes are exit 2 naming the path: a file, a path under a file, /proc, a FIFO, a foreign or invalid manifest', async (t) => {
  const dir = tmp();
  const file = join(dir, 'file');
  writeFileSync(file, 'x\n');
  refused(t, await run('render', '-a', answer, '-o', file), file, /is a regular file, not a directory/);
  refused(t, await run('render', '-a', answer, '-o', join(file, 'sub')), join(file, 'sub'), /a part of the path is a file/);
  // Once spun a core for two hours (mkdir -p under /proc).
  refused(t, await run('render', '-a', answer, '-o', '/proc/cairn-render-test'), '/proc/cairn-render-test', /cannot create/);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  refused(t, await run('render', '-a', answer, '-o', join(dir, 'fifo')), join(dir, 'fifo'), /FIFO/);

  for (const [name, content, why] of [
    ['foreign', '{"name":"my-web-app","version":"1.0.0"}', /not a manifest cairn wrote \(no "cairn" version\)/],
    ['invalid', '{"cairn": "0.1.0", "hosts": [', /is not valid JSON/],
    ['array', '[1,2,3]', /not a JSON object/],
    ['nofiles', '{"cairn":"0.1.0","hosts":[]}', /no "hosts" and "files" lists/],
  ] as const) {
    const out = join(dir, name);
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), content);
    writeFileSync(join(out, 'index.html'), 'keep\n');
    refused(t, await run('render', '-a', answer, '-o', out), join(out, 'manifest.json'), why);
    t.is(readFileSync(join(out, 'index.html'), 'utf8'), 'keep\n');
    t.is(readFileSync(join(out, 'manifest.json'), 'utf8'), content);
  }
});

test('inputs that are not regular UTF-8 files of sane size are refused at once: FIFO, device, directory, 2 MB, UTF-16, Latin-1', async (t) => {
  const dir = tmp();
  execFileSync('mkfifo', [join(dir, 'fifo.ini')]);
  refused(t, await run('validate', '-a', join(dir, 'fifo.ini')), join(dir, 'fifo.ini'), /is a FIFO \(named pipe\), not a regular file/);
  refused(t, await run('validate', '-a', '/dev/zero'), '/dev/zero', /character device/);
  refused(t, await run('validate', '-a', dir), dir, /is a directory/);
  writeFileSync(join(dir, 'big.ini'), '#'.repeat(2 * 1024 * 1024));
  refused(t, await run('validate', '-a', join(dir, 'big.ini')), join(dir, 'big.ini'), /is 2\.0 MB; cairn reads at most 1\.0 MB/);
  const text = readFileSync(answer, 'utf8');
  writeFileSync(join(dir, 'utf16.ini'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  refused(t, await run('validate', '-a', join(dir, 'utf16.ini')), join(dir, 'utf16.ini'), /UTF-16 .*iconv -f UTF-16 -t UTF-8/);
  writeFileSync(join(dir, 'utf16-nobom.ini'), Buffer.from(text, 'utf16le'));
  refused(t, await run('validate', '-a', join(dir, 'utf16-nobom.ini')), join(dir, 'utf16-nobom.ini'), /UTF-16/);
  writeFileSync(join(dir, 'latin1.ini'), Buffer.from(`${text}CONFIG_KEYSTONE_ADMIN_PW=caf\xe9\n`, 'latin1'));
  const lines = text.split('\n').length;
  refused(t, await run('validate', '-a', join(dir, 'latin1.ini')), join(dir, 'latin1.ini'), new RegExp(`line ${lines} holds bytes that are not UTF-8`));
  writeFileSync(join(dir, 'inv.yml'), 'x');
  execFileSync('mkfifo', [join(dir, 'fifo.yml')]);
  refused(t, await run('validate', '-a', answer, '-i', join(dir, 'fifo.yml')), join(dir, 'fifo.yml'), /FIFO/);
});

test('a missing SSH key is found by validate (exit 2, file:line:key), not at connect time', async (t) => {
  const dir = tmp();
  const file = join(dir, 'a.ini');
  writeFileSync(file, `${readFileSync(answer, 'utf8')}CONFIG_SSH_KEY=${join(dir, 'nope.pub')}\n`);
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('CONFIG_SSH_KEY=')) + 1;
  const r = await run('validate', '-a', file);
  t.is(r.code, 2);
  t.true(r.err.includes(`${file}:${line}: CONFIG_SSH_KEY: cannot read the public key ${join(dir, 'nope.pub')}: no such file or directory`), r.err);
  t.true(r.err.includes(`cannot read its private key ${join(dir, 'nope')}`), r.err);
  // Present, both halves: valid.
  writeFileSync(join(dir, 'nope.pub'), 'ssh-ed25519 AAAA x\n');
  writeFileSync(join(dir, 'nope'), 'key\n');
  t.is((await run('validate', '-a', file)).code, 0);
  // A directory where the key should be.
  rmSync(join(dir, 'nope'));
  mkdirSync(join(dir, 'nope'));
  t.regex((await run('validate', '-a', file)).err, /private key .* is a directory, not a regular file/);
});

test('credentials in CONFIG_REPO make the repository file 0600 on the host; shell syntax and blanks are refused', async (t) => {
  const dir = tmp();
  const base = readFileSync(answer, 'utf8');
  const withRepo = (url: string): string => {
    const f = join(dir, `r${Math.random().toString(16).slice(2)}.ini`);
    writeFileSync(f, `${base}CONFIG_REPO=${url}\n`);
    return f;
  };
  const out = join(dir, 'out');
  t.is((await run('render', '-a', withRepo('https://user:s3cret@mirror.example/debian'), '-o', out)).code, 0);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: { path: string; mode: string }[] };
  t.deepEqual([...new Set(manifest.files.filter((f) => f.path === '/etc/apt/sources.list.d/cairn.sources').map((f) => f.mode))], ['0600']);
  rmSync(out, { recursive: true });
  t.is((await run('render', '-a', withRepo('https://mirror.example/debian'), '-o', out)).code, 0);
  const plain = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: { path: string; mode: string }[] };
  t.is(plain.files.find((f) => f.path === '/etc/apt/sources.list.d/cairn.sources')?.mode, '0644');

  for (const [url, why] of [
    ['http://mirror.example/$(touch /tmp/pwned)', /'\$\(' has no place/],
    ['http://mirror.example/`id`', /'`' has no place/],
    ['http://mirror.example/a http://other.example/b', /no blanks; separate URLs with commas/],
    ['http://mirror.example/a;reboot', /';' has no place/],
  ] as const) {
    const r = await run('validate', '-a', withRepo(url));
    t.is(r.code, 2);
    t.regex(r.err, /CONFIG_REPO: expected repository URLs/);
    t.regex(r.err, why);
  }
});

test('loopback is a host address only when one host is the whole deployment', async (t) => {
  const dir = tmp();
  const one = join(dir, 'one.ini');
  writeFileSync(one, '[general]\nCONFIG_DEFAULT_PASSWORD=secret\nCONFIG_CONTROLLER_HOST=127.0.0.1\n');
  const r = await run('validate', '-a', one);
  t.is(r.code, 0, r.err);
  const two = join(dir, 'two.ini');
  writeFileSync(two, '[general]\nCONFIG_DEFAULT_PASSWORD=secret\nCONFIG_CONTROLLER_HOST=127.0.0.1\nCONFIG_COMPUTE_HOSTS=198.18.10.12\n');
  const r2 = await run('validate', '-a', two);
  t.is(r2.code, 2);
  t.true(r2.err.includes(`${two}:3: CONFIG_CONTROLLER_HOST: '127.0.0.1' is a loopback address: on every host it means that host itself, and this deployment has 2 hosts`), r2.err);
});

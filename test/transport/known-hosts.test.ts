/** known_hosts parsing and host key verdicts, checked against OpenSSH's own ssh-keygen. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendKnownHost,
  checkHostKey,
  defaultKnownHostsFile,
  expandHome,
  fingerprint,
  hashHostName,
  hostsFieldMatches,
  keyTypeLabel,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from '../../src/transport/known-hosts.js';
import { keygen, type KeyPair } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-kh-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const ed: KeyPair = keygen(dir, 'ed');
const ed2: KeyPair = keygen(dir, 'ed2');
const rsa: KeyPair = keygen(dir, 'rsa', 'rsa');
const ecdsa: KeyPair = keygen(dir, 'ecdsa', 'ecdsa');
const b64 = (k: KeyPair): string => k.blob.toString('base64');

test('fingerprint is exactly what ssh-keygen -lf prints, for ed25519, RSA and ECDSA', (t) => {
  for (const k of [ed, rsa, ecdsa]) {
    const [, fp, , label] = execFileSync('ssh-keygen', ['-lf', k.pubPath]).toString().trim().split(' ');
    t.is(fingerprint(k.blob), fp ?? '');
    t.is(`(${keyTypeLabel(k.type)})`, label ?? '');
  }
});

test('keyTypeOf reads the type inside a key blob', (t) => {
  t.is(keyTypeOf(ed.blob), 'ssh-ed25519');
  t.is(keyTypeOf(rsa.blob), 'ssh-rsa');
  t.is(keyTypeOf(ecdsa.blob), 'ecdsa-sha2-nistp256');
  t.is(keyTypeOf(Buffer.from([0, 0])), '');
  t.is(keyTypeOf(Buffer.from([0, 0, 0, 99, 1])), '');
});

test('knownHostName uses [host]:port except on port 22', (t) => {
  t.is(knownHostName('198.18.10.11', 22), '198.18.10.11');
  t.is(knownHostName('198.18.10.11', 2222), '[198.18.10.11]:2222');
});

test('parses plain, [host]:port, comments, @revoked; skips @cert-authority and malformed lines', (t) => {
  const text = [
    '# comment',
    '',
    `ctl1,198.18.10.11 ${ed.type} ${b64(ed)} a comment`,
    `[198.18.10.12]:2222 ${rsa.type} ${b64(rsa)}`,
    `@cert-authority *.lab ${ed2.type} ${b64(ed2)}`,
    `@revoked * ${ed2.type} ${b64(ed2)}`,
    `broken-line ssh-ed25519`,
    `mismatch ssh-rsa ${b64(ed)}`,
    `   indented ${ecdsa.type} ${b64(ecdsa)}`,
  ].join('\n');
  const entries = parseKnownHosts(text, '/x/known_hosts');
  t.deepEqual(
    entries.map((e) => [e.line, e.marker ?? '', e.hosts, e.keyType]),
    [
      [3, '', 'ctl1,198.18.10.11', 'ssh-ed25519'],
      [4, '', '[198.18.10.12]:2222', 'ssh-rsa'],
      [6, 'revoked', '*', 'ssh-ed25519'],
      [9, '', 'indented', 'ecdsa-sha2-nistp256'],
    ],
  );
  t.true(entries[0]?.key.equals(ed.blob));
  t.is(entries[0]?.file, '/x/known_hosts');
});

test('host patterns: lists, wildcards, negation, case-insensitive, [host]:port literal', (t) => {
  t.true(hostsFieldMatches('a,b,198.18.10.11', '198.18.10.11'));
  t.false(hostsFieldMatches('a,b', '198.18.10.11'));
  t.true(hostsFieldMatches('198.18.10.*', '198.18.10.99'));
  t.true(hostsFieldMatches('ctl?', 'CTL1'));
  t.false(hostsFieldMatches('198.18.10.*,!198.18.10.13', '198.18.10.13'));
  t.true(hostsFieldMatches('198.18.10.*,!198.18.10.13', '198.18.10.12'));
  t.true(hostsFieldMatches('[198.18.10.12]:2222', '[198.18.10.12]:2222'));
  t.false(hostsFieldMatches('[198.18.10.12]:2222', '198.18.10.12'));
  t.false(hostsFieldMatches('198.18.10.12', '[198.18.10.12]:2222'));
  t.false(hostsFieldMatches('198.18.10.1', '198.18.10.12'), 'a dot is not a wildcard');
});

test('hashed names: our HMAC-SHA1 matches what ssh-keygen -H writes, for plain and [host]:port names', (t) => {
  const file = join(dir, 'to-hash');
  writeFileSync(file, `198.18.10.11 ${ed.type} ${b64(ed)}\n[198.18.10.12]:2222 ${rsa.type} ${b64(rsa)}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const entries = readKnownHosts(file);
  t.is(entries.length, 2);
  for (const e of entries) t.regex(e.hosts, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
  t.is(checkHostKey(entries, '198.18.10.11', 22, ed.blob).kind, 'match');
  t.is(checkHostKey(entries, '198.18.10.12', 2222, rsa.blob).kind, 'match');
  t.is(checkHostKey(entries, '198.18.10.12', 22, rsa.blob).kind, 'unknown');
  t.is(checkHostKey(entries, '198.18.10.13', 22, ed.blob).kind, 'unknown');
  // Recompute ssh-keygen's hash from its salt: same bytes.
  const [, , salt] = (entries[0]?.hosts ?? '').split('|');
  t.is(hashHostName('198.18.10.11', Buffer.from(salt ?? '', 'base64')), entries[0]?.hosts ?? '');
  // And ssh-keygen -F finds a name we hashed.
  const ours = join(dir, 'ours-hashed');
  writeFileSync(ours, `${hashHostName('[127.0.0.1]:2200')} ${ed.type} ${b64(ed)}\n`);
  t.true(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', ours]).toString().includes('ssh-ed25519'));
});

test('verdicts: match, unknown, changed (same type, other key; or another type), revoked', (t) => {
  const entries = parseKnownHosts(
    [`198.18.10.11 ${ed.type} ${b64(ed)}`, `198.18.10.12 ${rsa.type} ${b64(rsa)}`, `@revoked * ${ecdsa.type} ${b64(ecdsa)}`].join('\n'),
    'kh',
  );
  t.deepEqual(checkHostKey(entries, '198.18.10.11', 22, ed.blob).kind, 'match');
  const changed = checkHostKey(entries, '198.18.10.11', 22, ed2.blob);
  t.is(changed.kind, 'changed');
  if (changed.kind === 'changed') t.is(changed.entry.line, 1);
  // Known by its RSA key, now offering ED25519 only: a change of key, not a new host.
  const typeChanged = checkHostKey(entries, '198.18.10.12', 22, ed.blob);
  t.is(typeChanged.kind, 'changed');
  if (typeChanged.kind === 'changed') t.is(typeChanged.entry.keyType, 'ssh-rsa');
  t.deepEqual(checkHostKey(entries, '198.18.10.99', 22, ed.blob), { kind: 'unknown' });
  t.is(checkHostKey(entries, '198.18.10.11', 22, ecdsa.blob).kind, 'revoked');
  t.deepEqual(knownKeyTypes(entries, '198.18.10.12', 22), ['ssh-rsa']);
});

test('a host listed twice with one matching key is a match, not a change', (t) => {
  const entries = parseKnownHosts(`h ${ed2.type} ${b64(ed2)}\nh ${ed.type} ${b64(ed)}\n`, 'kh');
  t.is(checkHostKey(entries, 'h', 22, ed.blob).kind, 'match');
});

test('host key algorithms: known types first (RSA as its SHA-2 signatures), the rest after', (t) => {
  t.deepEqual(preferredHostKeyAlgorithms([]), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  t.deepEqual(preferredHostKeyAlgorithms(['ssh-rsa']), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);
  t.deepEqual(preferredHostKeyAlgorithms(['ssh-dss']).slice(0, 1), ['ssh-ed25519'], 'unsupported types are not offered');
});

test('appendKnownHost creates the file 0600 (dir 0700) and keeps lines separate', (t) => {
  const file = join(dir, 'append', 'new', 'known_hosts');
  appendKnownHost(file, '198.18.10.11', 22, ed.blob);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(statSync(join(file, '..')).mode & 0o777, 0o700);
  writeFileSync(file, readFileSync(file, 'utf8') + '# no newline at end');
  appendKnownHost(file, '198.18.10.12', 2222, rsa.blob);
  t.is(readFileSync(file, 'utf8'), `198.18.10.11 ssh-ed25519 ${b64(ed)}\n# no newline at end\n[198.18.10.12]:2222 ssh-rsa ${b64(rsa)}\n`);
  t.throws(() => appendKnownHost('relative/known_hosts', 'h', 22, ed.blob), { message: /not absolute/ });
});

test('~ expansion and the default known_hosts file', (t) => {
  t.is(expandHome('~/.ssh/id_ed25519', '/home/op'), '/home/op/.ssh/id_ed25519');
  t.is(expandHome('~', '/home/op'), '/home/op');
  t.is(expandHome('/abs/key', '/home/op'), '/abs/key');
  t.is(expandHome('~other/key', '/home/op'), '~other/key');
  t.is(defaultKnownHostsFile(undefined, '/home/op'), '/home/op/.ssh/known_hosts');
  t.is(defaultKnownHostsFile('~/lab/known_hosts', '/home/op'), '/home/op/lab/known_hosts');
  t.deepEqual(readKnownHosts(join(dir, 'does-not-exist')), []);
});

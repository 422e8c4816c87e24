/** quote.ts: argv -> shell string, pinned by exact strings. */
import test from 'ava';
import { assertNoSecretInArgv, privilegedArgv, redact, REDACTED, remoteCommandLine, shJoin, shQuote, timeoutArgv } from '../../src/transport/quote.js';

test('shQuote leaves plainly safe words bare', (t) => {
  t.is(shQuote('abc'), 'abc');
  t.is(shQuote('/etc/nova/nova.conf'), '/etc/nova/nova.conf');
  t.is(shQuote('user@host:2222'), 'user@host:2222');
  t.is(shQuote('--opt=a,b+c%d'), '--opt=a,b+c%d');
});

test('shQuote single-quotes everything else, exactly', (t) => {
  t.is(shQuote(''), `''`);
  t.is(shQuote('a b'), `'a b'`);
  t.is(shQuote("it's"), `'it'\\''s'`);
  t.is(shQuote("'"), `''\\'''`);
  t.is(shQuote('line1\nline2'), `'line1\nline2'`);
  t.is(shQuote('$HOME'), `'$HOME'`);
  t.is(shQuote('`id`'), `'\`id\`'`);
  t.is(shQuote('a;b|c&d'), `'a;b|c&d'`);
  t.is(shQuote('*'), `'*'`);
  t.is(shQuote('~root'), `'~root'`);
  t.is(shQuote('"q"'), `'"q"'`);
  t.is(shQuote('\\'), `'\\'`);
});

test('shJoin joins quoted words; an empty argv is a bug', (t) => {
  t.is(shJoin(['printf', '%s\\n', 'a b', '', "o'k"]), `printf '%s\\n' 'a b' '' 'o'\\''k'`);
  t.throws(() => shJoin([]), { message: 'bug: empty argv' });
});

test('sudo wraps the whole quoted command as sudo -n -- sh -c', (t) => {
  t.deepEqual(privilegedArgv(['systemctl', 'restart', 'nova-api'], false), ['systemctl', 'restart', 'nova-api']);
  t.deepEqual(privilegedArgv(['systemctl', 'restart', 'nova-api'], true), ['sudo', '-n', '--', 'sh', '-c', 'systemctl restart nova-api']);
  t.is(remoteCommandLine(['systemctl', 'restart', 'nova-api'], true), `sudo -n -- sh -c 'systemctl restart nova-api'`);
  t.is(remoteCommandLine(['echo', "it's here"], true), `sudo -n -- sh -c 'echo '\\''it'\\''\\'\\'''\\''s here'\\'''`);
  t.is(remoteCommandLine(['echo', "it's here"], false), `echo 'it'\\''s here'`);
});

test('timeouts wrap the command in coreutils timeout, inside sudo', (t) => {
  t.deepEqual(timeoutArgv(['apt-get', 'update'], 120000), ['timeout', '-k', '5', '120', 'apt-get', 'update']);
  t.deepEqual(timeoutArgv(['true'], 500), ['timeout', '-k', '5', '0.5', 'true']);
  t.is(remoteCommandLine(['apt-get', 'update'], false, 1500), 'timeout -k 5 1.5 apt-get update');
  t.is(remoteCommandLine(['apt-get', 'update'], true, 1500), `sudo -n -- sh -c 'timeout -k 5 1.5 apt-get update'`);
  t.throws(() => timeoutArgv(['true'], 0), { message: /bug: timeout must be positive/ });
});

test('redact replaces every secret, longest first, also in its single-quoted form', (t) => {
  t.is(redact('password=hunter2 again hunter2', ['hunter2']), `password=${REDACTED} again ${REDACTED}`);
  t.is(redact('abcdef', ['abc', 'abcdef']), REDACTED);
  t.is(redact(shJoin(['echo', "o'k"]), ["o'k"]), `echo '${REDACTED}'`);
  t.is(redact('nothing', []), 'nothing');
  t.is(redact('nothing', undefined), 'nothing');
  t.is(redact('keeps text', ['']), 'keeps text');
});

test('a secret in argv is a bug, reported without the secret', (t) => {
  t.notThrows(() => assertNoSecretInArgv(['mysql', '-e', 'select 1'], ['s3cret']));
  const err = t.throws(() => assertNoSecretInArgv(['mysql', '-ps3cret'], ['s3cret']));
  t.is(err?.message, `bug: a secret value is on the command line of mysql -p${REDACTED}; pass it on stdin or in a file`);
});

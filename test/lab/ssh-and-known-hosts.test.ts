import test from 'ava';
import { keyOf, knownHostsText } from '../../src/lab/known-hosts.js';
import { shJoin, shQuote } from '../../src/transport/quote.js';
import { sshArgv, sshKeygenArgv, sshProbeArgv } from '../../src/lab/ssh-argv.js';

const target = { address: '198.18.10.11', user: 'root', port: 22, privateKey: '/p/.cairn/labs/lab/id_ed25519', knownHosts: '/p/.cairn/labs/lab/known_hosts' };
const OPTIONS = [
  '-i', '/p/.cairn/labs/lab/id_ed25519',
  '-p', '22',
  '-o', 'IdentitiesOnly=yes',
  '-o', 'UserKnownHostsFile=/p/.cairn/labs/lab/known_hosts',
  '-o', 'GlobalKnownHostsFile=/dev/null',
  '-o', 'StrictHostKeyChecking=yes',
  '-o', 'LogLevel=ERROR',
];

test('sh quoting', (t) => {
  t.is(shQuote('chronyc'), 'chronyc');
  t.is(shQuote(''), "''");
  t.is(shQuote('a b'), "'a b'");
  t.is(shQuote("it's"), `'it'\\''s'`);
  t.is(shQuote('$HOME;rm'), "'$HOME;rm'");
  t.is(shJoin(['sh', '-c', 'echo a; exit 3']), "sh -c 'echo a; exit 3'");
});

test('ssh command lines, by exact value', (t) => {
  t.deepEqual(sshArgv(target, [], true), ['ssh', ...OPTIONS, '-t', 'root@198.18.10.11']);
  t.deepEqual(sshArgv(target, ['sh', '-c', 'exit 3'], false), ['ssh', ...OPTIONS, 'root@198.18.10.11', '--', "sh -c 'exit 3'"]);
  t.deepEqual(sshProbeArgv(target), ['ssh', ...OPTIONS, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', 'root@198.18.10.11', 'true']);
  t.deepEqual(sshKeygenArgv('/p/k', 'cairn-lab-lab'), ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'cairn-lab-lab', '-f', '/p/k']);
});

test('known_hosts from host public keys; junk lines are dropped', (t) => {
  t.is(keyOf('ssh-ed25519 AAAAC3Nza root@lab-ctrl1'), 'ssh-ed25519 AAAAC3Nza');
  t.is(keyOf('cat: /etc/ssh/x: No such file'), undefined);
  t.is(
    knownHostsText('lab', [
      { names: ['lab-ctrl1', '198.18.10.11'], publicKeys: ['ssh-ed25519 AAAAC3Nza root@lab-ctrl1', 'ecdsa-sha2-nistp256 AAAAE2Vj= root@x', 'garbage'] },
      { names: ['lab-cmp1', '198.18.10.21'], publicKeys: ['ssh-rsa AAAAB3Nz root@lab-cmp1'] },
    ]),
    '# Host keys of cairn lab lab, read from the nodes by `cairn lab up`.\n' +
      'lab-ctrl1,198.18.10.11 ssh-ed25519 AAAAC3Nza\n' +
      'lab-ctrl1,198.18.10.11 ecdsa-sha2-nistp256 AAAAE2Vj=\n' +
      'lab-cmp1,198.18.10.21 ssh-rsa AAAAB3Nz\n',
  );
});

import test from 'ava';
import { debianArchive, nodeAptSources, parseAptSourcesFile } from '../../src/local/apt-sources.js';

const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
`;

test('deb822 sources: deb entries only, comments and disabled ones skipped, origins kept', (t) => {
  t.deepEqual(parseAptSourcesFile('/etc/apt/sources.list.d/debian.sources', DEB822), [
    { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', origin: '/etc/apt/sources.list.d/debian.sources:1' },
    { uri: 'http://mirror.example/debian-security', suites: ['bookworm-security'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', origin: '/etc/apt/sources.list.d/debian.sources:13' },
  ]);
});

test('one-line sources, with options and comments', (t) => {
  const text = '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib # trailing\ndeb-src http://m.example/debian bookworm main\n';
  t.deepEqual(parseAptSourcesFile('/etc/apt/sources.list', text), [
    { uri: 'http://m.example/debian', suites: ['bookworm'], components: ['main', 'contrib'], signedBy: '/k.gpg', origin: '/etc/apt/sources.list:2' },
  ]);
});

test('the Debian archive for bookworm and the sources nodes get', (t) => {
  const entries = [
    ...parseAptSourcesFile('/x.sources', DEB822),
    { uri: 'https://deb.nodesource.example/node_20.x', suites: ['nodistro'], components: ['main'], origin: '/y.list:1' },
  ];
  const archive = debianArchive(entries, 'bookworm');
  if (typeof archive === 'string') return t.fail(archive);
  t.is(archive.mirror, 'http://mirror.example/debian');
  t.is(archive.entries.length, 2, 'third-party sources are not given to nodes');
  t.is(
    nodeAptSources(archive),
    `# Written by cairn from the host's apt sources: lab nodes use the same Debian archive.
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`,
  );
});

test('no usable Debian source is an error that says where cairn looked', (t) => {
  t.is(
    debianArchive([], 'bookworm'),
    "no apt source of this machine serves Debian 'bookworm main' (looked in /etc/apt/sources.list and /etc/apt/sources.list.d/); the lab's node image is built from the same archive",
  );
  t.is(
    debianArchive([{ uri: 'file:/srv/mirror', suites: ['bookworm'], components: ['main'], origin: '/etc/apt/sources.list:3' }], 'bookworm'),
    "/etc/apt/sources.list:3: the Debian archive 'file:/srv/mirror' is not an http(s) URL, which debootstrap and the lab nodes cannot use",
  );
});

import test from 'ava';
import { baseImageTag, debootstrapArgv, dockerImportArgv, tarRootfsArgv } from '../../src/local/base-image.js';
import { nodeImageBuildOptions, nodeImageTag } from '../../src/lab/node-image.js';
import { nodeImageContext } from '../../src/lab/image-build.js';
import type { DebianArchive } from '../../src/local/apt-sources.js';

const inputs = { suite: 'bookworm', variant: 'minbase' as const, mirror: 'http://mirror.example/debian' };

test('commands that make the base image, by exact value', (t) => {
  t.deepEqual(debootstrapArgv(inputs, '/tmp/r'), ['debootstrap', '--variant=minbase', 'bookworm', '/tmp/r', 'http://mirror.example/debian']);
  t.deepEqual(tarRootfsArgv('/tmp/r'), ['tar', '--numeric-owner', '-C', '/tmp/r', '-c', '.']);
  t.deepEqual(dockerImportArgv('cairn-lab-base:abc'), ['docker', 'import', '--message', 'cairn lab base: debootstrap root file system', '-', 'cairn-lab-base:abc']);
  t.deepEqual(nodeImageBuildOptions('cairn-lab-node:n', 'cairn-lab-base:b'), {
    t: 'cairn-lab-node:n',
    buildargs: { BASE_IMAGE: 'cairn-lab-base:b' },
    networkmode: 'host',
    forcerm: true,
    labels: { 'cairn.lab.image': 'node' },
  });
});

test('image tags are hashes of their inputs', (t) => {
  const base = baseImageTag(inputs);
  t.regex(base, /^cairn-lab-base:[0-9a-f]{12}$/);
  t.is(baseImageTag({ ...inputs }), base, 'same inputs, same tag');
  t.not(baseImageTag({ ...inputs, mirror: 'http://other.example/debian' }), base);
  const files = [
    { name: 'Dockerfile', content: 'FROM x\n', mode: 0o644 },
    { name: 'policy-rc.d', content: 'exit 101\n', mode: 0o755 },
  ];
  const node = nodeImageTag(base, files);
  t.regex(node, /^cairn-lab-node:[0-9a-f]{12}$/);
  t.is(nodeImageTag(base, [...files].reverse()), node, 'file order does not matter');
  t.not(nodeImageTag(base, [files[0]!, { ...files[1]!, content: 'exit 0\n' }]), node, 'a changed file changes the tag');
  t.not(nodeImageTag(base, [files[0]!, { ...files[1]!, mode: 0o644 }]), node, 'a changed mode changes the tag');
  t.not(nodeImageTag(baseImageTag({ ...inputs, suite: 'trixie' }), files), node, 'a changed base changes the tag');
});

test('the build context is the template directory plus apt sources from the host', (t) => {
  const archive: DebianArchive = {
    mirror: 'http://mirror.example/debian',
    suite: 'bookworm',
    entries: [{ uri: 'http://mirror.example/debian', suites: ['bookworm'], components: ['main'], origin: 'x:1' }],
  };
  const ctx = nodeImageContext(archive);
  t.deepEqual(ctx.map((f) => f.name).sort(), [
    'Dockerfile',
    'apt-cairn-lab-no-kernel.pref',
    'cairn-ssh-host-keys.service',
    'chrony-cairn-lab.conf',
    'chrony.conf',
    'debian.sources',
    'dpkg-cairn-lab.cfg',
    'policy-rc.d',
    'sshd-cairn-lab.conf',
  ]);
  t.is(ctx.find((f) => f.name === 'policy-rc.d')!.mode, 0o755);
  const dockerfile = ctx.find((f) => f.name === 'Dockerfile')!.content;
  for (const pkg of ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'sudo', 'ca-certificates', 'python3', 'chrony']) {
    t.regex(dockerfile, new RegExp(`\\s${pkg}\\s`), pkg);
  }
  t.notRegex(dockerfile, /openvswitch/);
  t.regex(dockerfile, /^STOPSIGNAL SIGRTMIN\+3$/m);
  t.regex(dockerfile, /^CMD \["\/sbin\/init"\]$/m);
  // The node's chrony never asks the Debian pool (network rules), and runs with -x.
  t.notRegex(ctx.find((f) => f.name === 'chrony.conf')!.content, /^\s*(pool|server)\s/m);
  t.regex(ctx.find((f) => f.name === 'chrony-cairn-lab.conf')!.content, /^ExecStart=!\/usr\/sbin\/chronyd \$DAEMON_OPTS -x$/m);
});

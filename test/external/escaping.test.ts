/**
 * Real round trips of hostile passwords: every secret is rendered into its files and read back
 * with the reader the service itself uses (oslo.config + SQLAlchemy + oslo.messaging for
 * nova.conf, Python for Horizon's local_settings.py, PyYAML for clouds.yaml, bash for
 * keystonerc_admin). What comes back must equal what the deployment said, byte for byte.
 *
 * Installs what it needs first (scripts/install-external-checkers.sh), so it is never skipped.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderFiles } from '../../src/render/render-files.js';
import { packageRoot } from '../../src/render/templates.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const root = packageRoot();
const work = mkdtempSync(join(tmpdir(), 'cairn-escape-'));

/** Passwords chosen to break naive quoting in each target syntax. */
const HOSTILE = [
  `p@ss:w/rd#?&=+%41 ;`,
  `$HOME $(id) \`id\` \${x} $$`,
  `it's "quoted" \\ back\\slash`,
  ` leading and trailing `,
  `"wrapped"`,
  `yes`,
  `é ü 😀 #:{}[],&*!|>'%@`,
];

test.before(() => {
  execFileSync('sh', [join(root, 'scripts', 'install-external-checkers.sh')], { stdio: 'inherit' });
});

test.after.always(() => {
  rmSync(work, { recursive: true, force: true });
});

HOSTILE.forEach((secret, i) => {
  test(`secret #${i} ${JSON.stringify(secret)} survives every file it is written to`, (t) => {
    const d = exampleDeployment();
    d.nova.dbPassword = secret;
    d.amqp.password = secret;
    d.nova.ksPassword = secret;
    d.neutron.metadataSecret = secret;
    d.horizon.secretKey = secret;
    d.keystone.adminPassword = secret;
    const dir = join(work, `case-${i}`);
    for (const f of renderFiles(d, allServices).filter((x) => x.host === 'ctrl1')) {
      const target = join(dir, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
    const out = execFileSync(
      '/usr/bin/python3',
      [
        join(root, 'test', 'external', 'read_back.py'),
        join(dir, 'etc/nova/nova.conf'),
        join(dir, 'etc/openstack-dashboard/local_settings.py'),
        join(dir, 'root/.config/openstack/clouds.yaml'),
      ],
      { encoding: 'utf8' },
    );
    const back = JSON.parse(out) as Record<string, string>;
    t.deepEqual(back, {
      db_user: 'nova',
      db_password: secret,
      db_host: '198.18.10.11',
      db_name: 'nova',
      transport_user: 'openstack',
      transport_password: secret,
      transport_host: '198.18.10.11',
      authtoken_password: secret,
      metadata_secret: secret,
      horizon_secret_key: secret,
      clouds_password: secret,
      clouds_username: 'admin',
    });

    const shell = execFileSync(
      'bash',
      ['-c', 'set -eu; source "$1"; printf "%s" "$OS_PASSWORD"', 'read-back', join(dir, 'root/keystonerc_admin')],
      { encoding: 'utf8' },
    );
    t.is(shell, secret);
  });
});

test('the read-back can fail: an unescaped $ is substituted by oslo.config', (t) => {
  const dir = join(work, 'negative');
  mkdirSync(dir, { recursive: true });
  const d = exampleDeployment();
  const files = renderFiles(d, allServices).filter((x) => x.host === 'ctrl1');
  for (const f of files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    // Write the password raw, as a template without iniValue would.
    writeFileSync(target, f.path === '/etc/nova/nova.conf' ? f.content.replace('password = nova-ks-secret', 'password = a$my_ip') : f.content);
  }
  const out = execFileSync(
    '/usr/bin/python3',
    [
      join(root, 'test', 'external', 'read_back.py'),
      join(dir, 'etc/nova/nova.conf'),
      join(dir, 'etc/openstack-dashboard/local_settings.py'),
      join(dir, 'root/.config/openstack/clouds.yaml'),
    ],
    { encoding: 'utf8' },
  );
  t.is((JSON.parse(out) as Record<string, string>)['authtoken_password'], 'a198.18.10.11');
});

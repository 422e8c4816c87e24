/**
 * Real check of Swift's rendered configuration with Swift itself (Debian's swift and
 * python3-swift, installed by scripts/install-external-checkers.sh): the ring script builds the
 * three rings with the real swift-ring-builder (and a second run changes nothing), then each
 * server's paste pipeline is loaded by swift's own loadapp, as the daemons do at start, so an
 * undefined or misspelt middleware, a bad option value or a missing ring fails here.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFiles } from '../../src/render/render-files.js';
import { packageRoot } from '../../src/render/templates.js';
import { allServices } from '../../src/services/index.js';
import { ringScript } from '../../src/services/swift.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const root = packageRoot();
const work = mkdtempSync(join(tmpdir(), 'cairn-swift-'));
const swiftDir = join(work, 'etc');
const devices = join(work, 'node');

test.before(() => {
  execFileSync('sh', [join(root, 'scripts', 'install-external-checkers.sh')], { stdio: 'inherit' });
  execFileSync('mkdir', ['-p', swiftDir]);
  const d = exampleDeployment();
  for (const f of renderFiles({ ...d, services: { ...d.services, swift: true } }, allServices)) {
    if (!f.path.startsWith('/etc/swift/')) continue;
    // The daemons read swift.conf and the rings from swift_dir (/etc/swift on a host).
    const content = f.path.endsWith('-server.conf') ? f.content.replace('[DEFAULT]\n', `[DEFAULT]\nswift_dir = ${swiftDir}\n`).replace('devices = /srv/node', `devices = ${devices}`) : f.content;
    writeFileSync(join(swiftDir, f.path.slice('/etc/swift/'.length)), content);
  }
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

test.serial('the ring script builds three rings with one device each, and a second run changes nothing', (t) => {
  const script = ringScript('198.18.10.11', 1, { swift: swiftDir, devices });
  const first = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  t.is(first.status, 0, first.stderr);
  const rings = ['account', 'container', 'object'].map((r) => readFileSync(join(swiftDir, `${r}.ring.gz`)));
  for (const [ring, port] of [['account', 6202], ['container', 6201], ['object', 6200]] as const) {
    const shown = execFileSync('swift-ring-builder', [join(swiftDir, `${ring}.builder`)], { encoding: 'utf8' });
    t.regex(shown, /1\.000000 replicas/, ring);
    t.regex(shown, /1 devices/, ring);
    t.regex(shown, new RegExp(`198\\.18\\.10\\.11:${port}\\s+198\\.18\\.10\\.11:${port}\\s+swiftloopback`), ring);
  }
  const again = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  t.is(again.status, 0, again.stderr);
  t.deepEqual(['account', 'container', 'object'].map((r) => readFileSync(join(swiftDir, `${r}.ring.gz`))), rings, 'the rings are unchanged');
});

test.serial('when the host\'s address changes, the ring script moves the device instead of adding a second one', (t) => {
  const moved = spawnSync('sh', ['-c', ringScript('198.18.10.99', 1, { swift: swiftDir, devices })], { encoding: 'utf8' });
  t.is(moved.status, 0, moved.stderr);
  for (const ring of ['account', 'container', 'object']) {
    const shown = execFileSync('swift-ring-builder', [join(swiftDir, `${ring}.builder`)], { encoding: 'utf8' });
    t.regex(shown, /1 devices/, ring);
    t.regex(shown, /198\.18\.10\.99:\d+\s+198\.18\.10\.99:\d+\s+swiftloopback/, ring);
    t.notRegex(shown, /198\.18\.10\.11/, ring);
  }
  // Back to the address the pipelines below were rendered with.
  const back = spawnSync('sh', ['-c', ringScript('198.18.10.11', 1, { swift: swiftDir, devices })], { encoding: 'utf8' });
  t.is(back.status, 0, back.stderr);
});

test.serial('swift loads every server\'s pipeline from the rendered files', (t) => {
  const r = spawnSync('/usr/bin/python3', [join(root, 'test', 'external', 'swift_load.py'), swiftDir], { encoding: 'utf8' });
  t.log(r.stdout.trim());
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^proxy-server: .*AuthProtocol > KeystoneAuth > .*Application$/m);
  for (const s of ['account', 'container', 'object']) t.regex(r.stdout, new RegExp(`^${s}-server: HealthCheckMiddleware > ReconMiddleware > .*Controller$`, 'm'));
});

test.serial('the load check can fail: a pipeline naming an undefined middleware is refused', (t) => {
  const proxy = join(swiftDir, 'proxy-server.conf');
  const good = readFileSync(proxy, 'utf8');
  try {
    writeFileSync(proxy, good.replace(' keystoneauth ', ' keystoneauth nosuchfilter '));
    const r = spawnSync('/usr/bin/python3', [join(root, 'test', 'external', 'swift_load.py'), swiftDir], { encoding: 'utf8' });
    t.is(r.status, 1);
    t.regex(r.stderr, /nosuchfilter/);
  } finally {
    writeFileSync(proxy, good);
  }
});

/**
 * Demo provisioning's commands, over the scripted fake transport: packages mode runs the script
 * on the control host with keystonerc_admin; containers mode copies the guest files into the
 * keystone container first and runs the script there, with the credentials on stdin.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestImage } from '../../src/guest/guest-image.js';
import { CONTAINER_GUEST_DIR, GUEST_DIR, STAMP, provisionDemo } from '../../src/provision/run-provision.js';
import { FakeTransport, type FakeCall } from '../../src/transport/fake-transport.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

function image(): GuestImage {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-guest-test-'));
  writeFileSync(join(dir, 'vmlinuz'), 'kernel');
  writeFileSync(join(dir, 'initrd.img'), 'initrd');
  return {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    cached: true,
    manifest: { builder: 1, kernelRelease: 'test', packages: [], modules: [], files: { kernel: { bytes: 6, sha256: 'k' }, initrd: { bytes: 6, sha256: 'i' } } },
  };
}

const runs = (calls: FakeCall[]): Extract<FakeCall, { op: 'run' }>[] => calls.filter((c): c is Extract<FakeCall, { op: 'run' }> => c.op === 'run');
const made = `${JSON.stringify({ resource: 'router router1', action: 'created' })}\n`;

test('packages mode: the script runs on the control host with keystonerc_admin, then the stamp is written', async (t) => {
  const d = exampleDeployment({ provisionDemo: true });
  const ft = new FakeTransport('ctrl1').on(`cat ${STAMP}`, { code: 1 }).on('sh -s', { stdout: made });
  const r = await provisionDemo(d, ft, image());
  t.true(r.ok, r.error);
  t.deepEqual(r.changes, [{ resource: 'router router1', action: 'created' }]);
  const script = runs(ft.calls).find((c) => c.command === 'sh -s')!;
  t.true(script.stdin!.startsWith('. /root/keystonerc_admin\n'));
  const spec = JSON.parse(Buffer.from(/CAIRN_SPEC = "([^"]+)"/.exec(script.stdin!)![1]!, 'base64').toString()) as { images: { file: string }[] };
  t.deepEqual(spec.images.map((i) => i.file), [`${GUEST_DIR}/vmlinuz`, `${GUEST_DIR}/initrd.img`, `${GUEST_DIR}/root.raw`]);
  t.false(runs(ft.calls).some((c) => c.argv[0] === 'docker'));
  t.true(ft.files.has(STAMP));
  t.true(ft.files.has(`${GUEST_DIR}/vmlinuz`));
});

test('containers mode: the guest files go into the API container with docker cp, the script runs there with the credentials on stdin', async (t) => {
  const d = exampleDeployment({ provisionDemo: true });
  d.mode = 'containers';
  const ft = new FakeTransport('ctrl1')
    .on(`cat ${STAMP}`, { code: 1 })
    .on(`docker cp ${GUEST_DIR}/. cairn-keystone:${CONTAINER_GUEST_DIR}`, {})
    .on('docker exec -i cairn-keystone sh -s', { stdout: made });
  const r = await provisionDemo(d, ft, image(), 'cairn-keystone');
  t.true(r.ok, r.error);
  const commands = runs(ft.calls).map((c) => c.command);
  t.deepEqual(commands, [`cat ${STAMP}`, `docker cp ${GUEST_DIR}/. cairn-keystone:${CONTAINER_GUEST_DIR}`, 'docker exec -i cairn-keystone sh -s']);
  const script = runs(ft.calls).at(-1)!.stdin!;
  t.regex(script, /^export OS_AUTH_URL=/m, 'the admin credentials as exports on stdin, never on a command line');
  const spec = JSON.parse(Buffer.from(/CAIRN_SPEC = "([^"]+)"/.exec(script)![1]!, 'base64').toString()) as { images: { file: string }[] };
  t.deepEqual(spec.images.map((i) => i.file), [`${CONTAINER_GUEST_DIR}/vmlinuz`, `${CONTAINER_GUEST_DIR}/initrd.img`, `${CONTAINER_GUEST_DIR}/root.raw`]);
});

test('containers mode: a failed copy into the container is the report\'s error, and no stamp is written', async (t) => {
  const d = exampleDeployment({ provisionDemo: true });
  d.mode = 'containers';
  const ft = new FakeTransport('ctrl1').on(`cat ${STAMP}`, { code: 1 }).on(/^docker cp /, { code: 1, stderr: 'Error response from daemon: No such container: cairn-keystone' });
  const r = await provisionDemo(d, ft, image(), 'cairn-keystone');
  t.false(r.ok);
  t.regex(r.error ?? '', /copying the guest image into cairn-keystone: Error response from daemon: No such container/);
  t.false(ft.files.has(STAMP));
});

test('an unchanged stamp skips everything after one command', async (t) => {
  const d = exampleDeployment({ provisionDemo: true });
  const first = new FakeTransport('ctrl1').on(`cat ${STAMP}`, { code: 1 }).on('sh -s', { stdout: made });
  await provisionDemo(d, first, image());
  const stamp = first.files.get(STAMP)!.content.toString();
  const again = new FakeTransport('ctrl1').on(`cat ${STAMP}`, { stdout: stamp });
  const r = await provisionDemo(d, again, image());
  t.true(r.unchanged);
  t.deepEqual(runs(again.calls).map((c) => c.command), [`cat ${STAMP}`]);
});

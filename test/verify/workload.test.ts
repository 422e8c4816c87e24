import test from 'ava';
import { execFileSync } from 'node:child_process';
import { parseChanges, provisionPayload, provisionScript } from '../../src/provision/run-provision.js';
import { demoSpec } from '../../src/provision/demo-spec.js';
import { icmpPingScript, parseScriptLines, row } from '../../src/verify/workload.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

test('script lines: JSON lines are steps, anything else (warnings, tracebacks) is ignored', (t) => {
  const out = ['/usr/lib/python3/dist-packages/x.py: DeprecationWarning', '{"step": "active", "guest": "cmp1", "ok": true, "ms": 14000, "detail": "ACTIVE on cmp1"}', '{not json', '{"resource": "x"}'].join('\n');
  t.deepEqual(parseScriptLines(out), [{ step: 'active', guest: 'cmp1', ok: true, ms: 14000, detail: 'ACTIVE on cmp1' }]);
  t.deepEqual(parseChanges('{"resource": "flavor m1.nano", "action": "created"}\nnoise\n'), [{ resource: 'flavor m1.nano', action: 'created' }]);
});

test('a failed step gets a hint naming the host to look at; a passed one none', (t) => {
  const failed = row('dhcp', 'cmp1', false, 34200, 'console: dhcp no lease', 'ctrl1');
  t.is(failed.detail, '34.2 s  console: dhcp no lease');
  t.regex(failed.hint ?? '', /cmp1.*br-tun|br-tun.*cmp1/);
  t.regex(failed.hint ?? '', /ctrl1/);
  t.is(row('dhcp', 'cmp1', true, 1000, 'ok', 'ctrl1').hint, undefined);
});

test('the ICMP probe and the provisioning script are valid Python', (t) => {
  const d = exampleDeployment({ provisionDemo: true, demoFloatRange: '198.18.10.0/24' });
  const spec = demoSpec(d);
  if ('message' in spec) return t.fail(spec.message);
  const image = { manifest: { builder: 1, kernelRelease: 'x', packages: [], modules: [], files: { kernel: { bytes: 1, sha256: 'k' }, initrd: { bytes: 1, sha256: 'i' } } } };
  const payload = provisionPayload(d, spec, image, '/var/lib/cairn/guest');
  const images = payload.images as { role: string; file: string; refs?: string[] }[];
  t.deepEqual(images.map((i) => i.role), ['kernel', 'ramdisk', 'guest']);
  t.deepEqual(images[2]!.refs, ['kernel', 'ramdisk']);
  const script = provisionScript(payload, '. /root/keystonerc_admin');
  const python = script.slice(script.indexOf("<<'CAIRN_PY'\n") + 13, script.lastIndexOf('CAIRN_PY'));
  for (const src of [python, icmpPingScript('198.19.10.42', 3)]) {
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: src });
  }
  t.pass();
});

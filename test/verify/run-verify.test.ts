/**
 * verify()'s plumbing with a scripted transport: where each script runs (plain sh on the hosts,
 * `docker exec` into the API container in containers mode), that credentials go on stdin, and
 * that a runner failing before any check reports says why instead of "no output".
 */
import test from 'ava';
import type { Deployment } from '../../src/config/model.js';
import type { Command, RunResult, Transport } from '../../src/transport/transport.js';
import { planDeployment } from '../../src/deploy/plan-deployment.js';
import { containersVerify } from '../../src/deploy/verify-cloud.js';
import { verify } from '../../src/verify/run-verify.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

test('containers mode: API checks go through docker exec with the credentials on stdin; a stopped container is named in every API row', async (t) => {
  const d: Deployment = { ...exampleDeployment(), mode: 'containers' };
  const calls: { host: string; cmd: Command }[] = [];
  const transport = (host: string): Transport =>
    ({
      host,
      run: async (cmd: Command): Promise<RunResult> => {
        calls.push({ host, cmd });
        if (cmd.argv[0] === 'docker') return { code: 1, stdout: '', stderr: 'Error response from daemon: container cairn-keystone is not running' };
        return { code: 0, stdout: '', stderr: '' };
      },
      close: async () => undefined,
    }) as unknown as Transport;
  const report = await verify(d, planDeployment(d).plan, { connect: async (h) => transport(h.name), forks: 5, waitMs: 0, containers: containersVerify(d, planDeployment(d).files) });

  const exec = calls.find((c) => c.cmd.argv[0] === 'docker')!;
  t.is(exec.host, 'ctrl1');
  t.deepEqual(exec.cmd.argv, ['docker', 'exec', '-i', 'cairn-keystone', 'sh', '-s']);
  t.regex(exec.cmd.stdin as string, new RegExp(`export OS_PASSWORD='${d.keystone.adminPassword}'`));
  t.false(calls.some((c) => c.cmd.argv.join(' ').includes(d.keystone.adminPassword)), 'the password is never in argv');

  const api = report.results.filter((r) => ['keystone-token', 'endpoints', 'image-upload'].includes(r.check));
  t.deepEqual(api.map((r) => r.check), ['keystone-token', 'endpoints', 'image-upload']);
  for (const r of api) {
    t.false(r.ok);
    t.is(r.detail, 'could not run (exit 1): Error response from daemon: container cairn-keystone is not running');
    t.regex(r.hint ?? '', /docker (logs|exec|ps)/);
  }
  t.true(report.results.some((r) => r.check === 'containers' && r.host === 'ctrl1'));
  t.false(report.ok);
});

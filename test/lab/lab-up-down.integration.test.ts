/**
 * The one real lab test: `lab up` a 1 controller + 1 compute lab against the real Docker engine,
 * check it from the host the way cairn will use it, `lab up` again (a no-op), `lab down`
 * (nothing left). Needs root, the Docker engine and the host's Debian archive:
 *
 *   scripts/lab-host-setup.sh && npm run build && npx ava dist/test/lab/lab-up-down.integration.test.js
 *
 * It takes ~25 s with the node image cached, ~2.5 min without.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInventory } from '../../src/config/inventory.js';
import { connectDocker } from '../../src/local/docker-engine.js';
import { labContainers, labNetworks, labVolumes } from '../../src/lab/lab-objects.js';
import { labDown, labSsh, labStatus, labUp } from '../../src/lab/lab.js';
import { aptCacheVolumeName } from '../../src/lab/lab-name.js';
import { labPaths } from '../../src/lab/lab-name.js';
import { runCommand } from '../../src/local/run-command.js';
import { sshArgv } from '../../src/lab/ssh-argv.js';

// Always runs (CI installs Docker and debootstrap through scripts/setup-test-host.sh): a test
// that is skipped proves nothing.
const labTest = test.serial;

/** CAP_SYS_TIME's bit in /proc/PID/status capability masks. */
const CAP_SYS_TIME = 25n;

labTest('lab up: SSH with the lab key, names, Debian archive, time from the gateway; up again is a no-op; down leaves nothing', async (t) => {
  t.timeout(15 * 60_000);
  const root = mkdtempSync(join(tmpdir(), 'cairn-lab-it-'));
  const name = `itest${process.pid % 100000}`;
  const paths = labPaths(root, name);
  const progress = { write: (s: string) => t.log(s.trimEnd()) };

  try {
    const up = await labUp({ name, root, controllers: 1, computes: 1, progressOut: progress });
    t.log(`lab up took ${up.seconds.toFixed(1)} s`);
    t.deepEqual(
      up.nodes.map((n) => [n.name, n.role, n.state]),
      [
        [`${name}-ctrl1`, 'controller', 'running'],
        [`${name}-cmp1`, 'compute', 'running'],
      ],
    );
    const gateway = up.plan.management.gateway;

    // The inventory is what cairn's own reader takes; the answer file is private.
    const inv = readInventory(readFileSync(paths.inventory, 'utf8'), paths.inventory);
    t.deepEqual(inv.problems, []);
    t.is(inv.inventory!.hosts[0]!.sshKey, paths.privateKey);
    t.is(statSync(paths.answerFile).mode & 0o777, 0o600);
    t.regex(readFileSync(paths.answerFile, 'utf8'), new RegExp(`^CONFIG_COMPUTE_HOSTS=${up.plan.nodes[1]!.managementAddress.replace(/\./g, '\\.')}$`, 'm'));

    const ssh = async (address: string, script: string): Promise<{ code: number; stdout: string; stderr: string }> =>
      runCommand(sshArgv({ address, user: 'root', port: 22, privateKey: paths.privateKey, knownHosts: paths.knownHosts }, ['sh', '-c', script], false));

    for (const node of up.plan.nodes) {
      // SSH from the host with the lab key, host key checked against the lab's known_hosts.
      const who = await ssh(node.managementAddress, 'hostname');
      t.is(who.code, 0, who.stderr);
      t.is(who.stdout.trim(), node.name);

      // Every node resolves every node (and the gateway) to its management address.
      for (const other of up.plan.nodes) {
        const r = await ssh(node.managementAddress, `getent hosts ${other.name}`);
        t.is(r.stdout.trim().split(/\s+/)[0], other.managementAddress, `${node.name} resolves ${other.name}`);
      }
      t.is((await ssh(node.managementAddress, `getent hosts ${up.plan.gatewayName}`)).stdout.trim().split(/\s+/)[0], gateway);

      // Management is eth0 and external eth1, as the inventory says.
      const ifaces = await ssh(node.managementAddress, 'ip -o -4 addr show dev eth0; ip -o -4 addr show dev eth1');
      t.regex(ifaces.stdout, new RegExp(`eth0\\s+inet ${node.managementAddress}/24`));
      t.regex(ifaces.stdout, new RegExp(`eth1\\s+inet ${node.externalAddress}/24`));

      // The node can never set the machine's clock: CAP_SYS_TIME is out of its bounding set.
      const caps = await ssh(node.managementAddress, "sed -n 's/^CapBnd:[[:space:]]*//p' /proc/1/status");
      t.is((BigInt(`0x${caps.stdout.trim()}`) >> CAP_SYS_TIME) & 1n, 0n, `${node.name} CapBnd ${caps.stdout.trim()}`);

      // Debian's archive through Docker's NAT.
      const apt = await ssh(node.managementAddress, 'apt-get -q update');
      t.is(apt.code, 0, `${node.name}: apt-get update: ${apt.stderr}`);
    }

    // Time is served by the gateway: chronyd selects it (^* or ^+) within a minute or so.
    for (const node of up.plan.nodes) {
      const deadline = Date.now() + 120_000;
      let sources = '';
      while (Date.now() < deadline) {
        sources = (await ssh(node.managementAddress, 'chronyc -n sources')).stdout;
        if (new RegExp(`^\\^[*+]\\s+${gateway.replace(/\./g, '\\.')}\\s`, 'm').test(sources)) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      t.regex(sources, new RegExp(`^\\^[*+]\\s+${gateway.replace(/\./g, '\\.')}\\s`, 'm'), `${node.name}: ${sources}`);
    }

    // `lab ssh` returns the remote command's exit status.
    t.is(await labSsh({ name, root, node: 'cmp1', command: ['sh', '-c', 'exit 7'], tty: false }), 7);

    // A second `lab up` changes nothing: no container, network or file.
    const again = await labUp({ name, root, progressOut: progress });
    t.log(`second lab up took ${again.seconds.toFixed(1)} s`);
    t.deepEqual(again.changes, []);
    t.deepEqual(again.written, []);
  } finally {
    const down = await labDown({ name, root, progressOut: progress });
    t.log(`lab down took ${down.seconds.toFixed(1)} s: ${down.removed.join(', ')}`);
  }

  // Nothing of the lab is left on the engine; down again has nothing to do.
  const docker = await connectDocker();
  t.deepEqual(await labContainers(docker, name), []);
  t.deepEqual(await labNetworks(docker, name), []);
  t.deepEqual(await labVolumes(docker, name), []);
  t.false((await labStatus({ name, root })).exists);
  // The package cache outlives `lab down` (a later `lab up` finds it full); --purge removes it.
  const cache = aptCacheVolumeName(name);
  const cacheVolumes = async (): Promise<string[]> => ((await docker.listVolumes({ filters: { name: [cache] } })).Volumes ?? []).map((v) => v.Name).filter((n) => n === cache);
  t.deepEqual(await cacheVolumes(), [cache]);
  t.true((await labDown({ name, root, purge: true })).removed.includes(`volume ${cache}`));
  t.deepEqual(await cacheVolumes(), []);
  t.deepEqual((await labDown({ name, root })).removed, []);
  rmSync(root, { recursive: true, force: true });
});

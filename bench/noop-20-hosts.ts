/**
 * No-op re-run benchmark (issue: apply engine). 20 lab nodes, each with 20 managed files and
 * 5 services; first both tools converge, then each does a no-op run that only checks, timed,
 * the two tools alternating
 * (median of 3). The peer is ansible-playbook from Debian's archive on the same hosts with
 * pipelining on and forks = host count, doing the same checks (copy with content, service
 * started and enabled). Run: npm run bench:noop (needs root and Docker: scripts/lab-host-setup.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan } from '../src/apply/apply-plan.js';
import { loadDeployment } from '../src/config/deployment.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { labPaths } from '../src/lab/lab-name.js';
import type { Plan, Step } from '../src/plan/steps.js';
import { sha256 } from '../src/render/render-files.js';
import { connectSsh } from '../src/transport/ssh-transport.js';

const HOSTS = 20;
const FILES = 20;
const UNITS = ['chrony', 'dbus', 'ssh', 'systemd-journald', 'systemd-logind'];
const here = new URL('.', import.meta.url).pathname;
const repo = join(here, '..', '..');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const content = (host: string, i: number): string => `# cairn benchmark file ${i} of ${host}\nvalue_${i} = ${'x'.repeat(40)}\n`;

async function main(): Promise<void> {
  execFileSync('sh', [join(repo, 'scripts', 'install-bench-tools.sh')], { stdio: 'inherit' });
  const root = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const name = 'bench';
  const paths = labPaths(root, name);
  console.log(`bringing up ${HOSTS} lab nodes...`);
  try {
    await labUp({ name, root, controllers: 1, computes: HOSTS - 1 });
    const { deployment: d, problems } = loadDeployment({
      answerFile: paths.answerFile,
      answerText: readFileSync(paths.answerFile, 'utf8'),
      inventoryFile: paths.inventory,
      inventoryText: readFileSync(paths.inventory, 'utf8'),
    });
    if (!d) throw new Error(JSON.stringify(problems));
    const plan: Plan = {
      hosts: d.hosts.map((h) => {
        const steps: Step[] = [];
        for (let i = 1; i <= FILES; i++) {
          const path = `/etc/cairn-bench/file-${i}.conf`;
          const c = content(h.name, i);
          steps.push({ kind: 'file', id: `file:${path}`, title: path, phase: 'files', path, mode: '0644', owner: 'root', group: 'root', content: c, sha256: sha256(c), restarts: [] });
        }
        for (const unit of UNITS) steps.push({ kind: 'unit', id: `unit:${unit}`, title: unit, phase: 'units', unit, restartOn: [] });
        return { host: h.name, address: h.address, osFamily: 'debian', sudo: false, steps };
      }),
    };
    const cairnRun = async (): Promise<number> => {
      const t0 = performance.now();
      const r = await applyPlan(d, plan, { dryRun: false, forks: HOSTS, connect: (h) => connectSsh(h), onEvent: () => undefined, log: () => undefined, owner: 'bench', secrets: [] });
      if (!r.ok) throw new Error(`cairn run failed: ${JSON.stringify({ aborted: r.abortedBefore, prechecks: r.prechecks.filter((p) => p.severity === "error"), hosts: r.hosts.filter((h) => h.error) })}`);
      const changed = r.hosts.flatMap((h) => h.steps).filter((s) => s.status !== 'ok').length;
      const ms = performance.now() - t0;
      console.log(`  cairn: ${ms.toFixed(0)} ms, ${changed} steps changed`);
      return ms;
    };
    console.log('cairn: converge');
    await cairnRun();

    // The same checks with ansible-playbook.
    const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-ansible-'));
    writeFileSync(join(dir, 'hosts.ini'), ['[lab]', ...d.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${paths.privateKey}`), ''].join('\n'));
    writeFileSync(join(dir, 'ansible.cfg'), [
      '[defaults]', `inventory = ${join(dir, 'hosts.ini')}`, `forks = ${HOSTS}`, 'host_key_checking = True', 'interpreter_python = /usr/bin/python3', 'stdout_callback = dense', '',
      '[ssh_connection]', 'pipelining = True', `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${paths.knownHosts}`, '',
    ].join('\n'));
    const files = Array.from({ length: FILES }, (_, i) => i + 1);
    writeFileSync(join(dir, 'site.yml'), [
      '- hosts: lab',
      '  gather_facts: false',
      '  tasks:',
      '    - name: directory',
      '      file: { path: /etc/cairn-bench, state: directory, mode: "0755" }',
      '    - name: managed files',
      '      copy:',
      '        dest: "/etc/cairn-bench/file-{{ item }}.conf"',
      '        content: "# cairn benchmark file {{ item }} of {{ inventory_hostname }}\\nvalue_{{ item }} = ' + 'x'.repeat(40) + '\\n"',
      '        mode: "0644"',
      '        owner: root',
      '        group: root',
      `      loop: [${files.join(', ')}]`,
      '    - name: services',
      '      systemd: { name: "{{ item }}", state: started }',
      `      loop: [${UNITS.join(', ')}]`,
      '',
    ].join('\n'));
    const ansibleRun = (): number => {
      const t0 = performance.now();
      const r = spawnSync('ansible-playbook', [join(dir, 'site.yml')], { cwd: dir, env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg') }, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}): ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
      const recap = /changed=(\d+)/g;
      let changed = 0;
      for (const m of r.stdout.matchAll(recap)) changed += Number(m[1]);
      console.log(`  ansible-playbook: ${ms.toFixed(0)} ms, ${changed} changed`);
      return ms;
    };
    console.log('ansible: converge (files already in place from cairn)');
    ansibleRun();
    // Timed no-op runs alternate between the two tools, so that whatever else the machine is
    // doing (20 nodes finishing their boot) weighs on both alike.
    const cairnTimes: number[] = [];
    const ansibleTimes: number[] = [];
    for (let round = 1; round <= 3; round++) {
      console.log(`no-op round ${round}`);
      cairnTimes.push(await cairnRun());
      ansibleTimes.push(ansibleRun());
    }
    const c = median(cairnTimes);
    const a = median(ansibleTimes);
    console.log(`\nno-op re-run, ${HOSTS} hosts x (${FILES} files + ${UNITS.length} services), median of 3:`);
    console.log(`  cairn            ${(c / 1000).toFixed(2)} s`);
    console.log(`  ansible-playbook ${(a / 1000).toFixed(2)} s (pipelining, forks=${HOSTS})`);
    console.log(`  ratio            ${(a / c).toFixed(1)}x (goal: at least 10x)`);
  } finally {
    await labDown({ name, root, purge: true });
  }
}

await main();

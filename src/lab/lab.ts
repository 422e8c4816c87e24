/**
 * `cairn lab up | down | status | ssh`: the flow, independent of the provider.
 *
 *   name + shape + recorded slot --plan-->  LabPlan (address-plan.ts, pure)
 *   LabPlan --provider.up-->               running nodes + their host keys
 *   then: known_hosts, an SSH check of every node with the lab key, inventory/NAME.yml,
 *         answer-files/NAME.ini, .cairn/labs/NAME/lab.json
 * Each step changes only what differs, so a second `lab up` is a no-op.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateAnswerFile } from '../config/generate.js';
import {
  chooseSlot,
  planLab,
  shapeProblem,
  slotSubnets,
  SHAPE_LIMITS,
  type LabPlan,
  type LabShape,
} from './address-plan.js';
import { labAnswerSettings, updateAnswerFile } from './answer-file.js';
import { debianArchive, readHostAptSources } from '../local/apt-sources.js';
import { connectDocker } from '../local/docker-engine.js';
import { DockerProvider } from './docker-provider.js';
import { HostError, isExpected, tail, UsageError } from '../errors.js';
import { writeFileIfChanged } from './files.js';
import { inventoryText, relativeFrom } from './inventory-file.js';
import { knownHostsText } from './known-hosts.js';
import { DEFAULT_LAB_NAME, labNameProblem, labPaths, type LabPaths } from './lab-name.js';
import { readLabRecord, recordedSlots, writeLabRecord, type LabRecord, type ProviderName } from './lab-state.js';
import type { NodeRow } from './node-table.js';
import { Progress, type ProgressSink } from '../local/progress.js';
import type { LabObservation, LabProvider } from './provider.js';
import { runCommand, runChecked } from '../local/run-command.js';
import { sshArgv, sshKeygenArgv, sshProbeArgv, type SshTarget } from './ssh-argv.js';
import { LibvirtProvider } from './libvirt/libvirt-provider.js';

/** The Debian suite lab nodes run (bookworm ships OpenStack Zed). */
export const LAB_SUITE = 'bookworm';

/** Options shared by every lab command. */
export interface LabCommonOptions {
  name?: string;
  /** Directory holding .cairn/, inventory/ and answer-files/ (default: the current one). */
  root?: string;
  /** Where phase lines go (default: nowhere). */
  progressOut?: ProgressSink;
}

/** `lab up` options: unset ones keep the lab's recorded values, else the defaults. */
export interface LabUpOptions extends LabCommonOptions {
  controllers?: number;
  computes?: number;
  provider?: ProviderName;
  /** libvirt only: the Debian cloud image (qcow2) node disks are overlays of. */
  baseImage?: string;
}

/** What `lab up` did. */
export interface LabUpResult {
  plan: LabPlan;
  nodes: NodeRow[];
  paths: LabPaths;
  /** Files written or changed in this run (empty on a no-op run). */
  written: string[];
  /** Networks, containers or VMs this run created, started or changed (empty on a no-op run). */
  changes: string[];
  seconds: number;
}

const DEFAULT_SHAPE: LabShape = { controllers: 1, computes: 2 };

function resolveName(opts: LabCommonOptions): { name: string; root: string; paths: LabPaths } {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const problem = labNameProblem(name);
  if (problem) throw new UsageError(problem);
  const root = resolve(opts.root ?? process.cwd());
  return { name, root, paths: labPaths(root, name) };
}

function recordOf(paths: LabPaths): LabRecord | undefined {
  const r = readLabRecord(paths.stateFile);
  if (r && 'problem' in r) throw new HostError(r.problem);
  return r;
}

async function providerFor(name: ProviderName, opts: LabUpOptions = {}): Promise<LabProvider> {
  if (name === 'libvirt') return new LibvirtProvider(opts.baseImage);
  const archive = debianArchive(readHostAptSources(), LAB_SUITE);
  return new DockerProvider(await connectDocker(), archive);
}

/** Brings lab `name` up (or in line with the options); a no-op when it already is. */
export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const { name, root, paths } = resolveName(opts);
  const record = recordOf(paths);
  const providerName = opts.provider ?? record?.provider ?? 'docker';
  const shape: LabShape = {
    controllers: opts.controllers ?? record?.controllers ?? DEFAULT_SHAPE.controllers,
    computes: opts.computes ?? record?.computes ?? DEFAULT_SHAPE.computes,
  };
  const problem = shapeProblem(shape);
  if (problem) throw new UsageError(problem);
  if (shape.controllers !== 1) {
    throw new UsageError(`--controllers must be 1: cairn deploys a single control host (the address plan has room for ${SHAPE_LIMITS.controllers.max} later)`);
  }
  const progress = new Progress(opts.progressOut, paths.logFile);
  const provider = await providerFor(providerName, opts);
  if (record && record.provider !== providerName) {
    const otherExists = await providerFor(record.provider, opts)
      .then((other) => other.status(undefined, name))
      .then((s) => s.exists)
      .catch(() => false);
    if (otherExists) {
      throw new UsageError(`lab ${name} runs on ${record.provider}; run \`cairn lab down --name ${name}\` before using --provider ${providerName}`);
    }
  }

  const slots = await engineErrors(() => provider.slots(name));
  const reserved = recordedSlots(root, name);
  const taken = new Set([...slots.taken.keys(), ...reserved.keys()]);
  const slot = slots.own ?? chooseSlot(name, taken, record?.slot);
  if (slot === undefined) throw new HostError('every lab address slot (198.18.10-249.0/24) is in use; remove a lab first');
  if (record && record.slot !== slot) {
    const holder = slots.taken.get(record.slot) ?? reserved.get(record.slot);
    progress.warn(`lab ${name} had ${slotSubnets(record.slot).management}, now used by ${holder ? holder : 'another network'}; it gets ${slotSubnets(slot).management} instead`);
  }
  const plan = planLab(name, shape, slot);
  progress.phase(`lab ${name}: ${shape.controllers} controller, ${shape.computes} compute${shape.computes === 1 ? '' : 's'} on ${providerName}; management ${plan.management.subnet}, external ${plan.external.subnet}`);

  const written: string[] = [];
  const wrote = (file: string, changed: boolean): void => {
    if (changed) written.push(file);
  };
  const publicKey = await ensureKeyPair(paths, name, progress, wrote);
  // Record the slot before creating anything, so a concurrent `lab up` of another lab in this
  // directory sees it as reserved.
  wrote(paths.stateFile, writeLabRecord(paths.stateFile, { name, provider: providerName, slot, ...shape }));

  const result = await engineErrors(() => provider.up(plan, publicKey, { paths, progress }), progress.logFile);
  wrote(paths.knownHosts, writeFileIfChanged(paths.knownHosts, knownHostsText(name, result.hostKeys)));
  await checkSsh(plan, paths, progress, provider.sshDeadlineMs);

  wrote(
    paths.inventory,
    writeFileIfChanged(paths.inventory, inventoryText(plan, relativeFrom(paths.inventory, paths.privateKey), relativeFrom(paths.inventory, paths.knownHosts))),
  );
  wrote(paths.answerFile, writeLabAnswerFile(plan, paths, root, progress));
  const summary = [
    ...(result.changes.length ? [`changed ${result.changes.join(', ')}`] : []),
    ...(written.length ? [`wrote ${written.map((f) => relativeFrom(`${root}/x`, f)).join(', ')}`] : []),
  ];
  progress.phase(`lab ${name} is up: ${plan.nodes.length} nodes; ${summary.length ? summary.join('; ') : 'nothing changed'}`);
  return { plan, nodes: result.nodes, paths, written, changes: result.changes, seconds: progress.elapsed() };
}

/**
 * Runs a provider call, turning the Docker engine's refusals (HTTP errors from dockerode, a
 * socket that went away) into HostErrors: they are failures of the environment, not cairn bugs.
 */
async function engineErrors<T>(call: () => Promise<T>, logFile?: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (isExpected(e)) throw e;
    const err = e as { statusCode?: number; json?: { message?: string }; code?: string; message?: string };
    if (typeof err.statusCode === 'number') {
      throw new HostError(`the Docker engine refused: ${err.json?.message ?? err.message ?? String(e)}`, { logFile });
    }
    if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      throw new HostError(`lost the Docker engine: ${err.message ?? err.code}`, { logFile });
    }
    throw e;
  }
}

/** The lab key pair (made with ssh-keygen on first use); returns the public key text. */
async function ensureKeyPair(paths: LabPaths, name: string, progress: Progress, wrote: (f: string, c: boolean) => void): Promise<string> {
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.stateDir, 0o700);
  if (!existsSync(paths.privateKey)) {
    rmSync(paths.publicKey, { force: true });
    await runChecked(sshKeygenArgv(paths.privateKey, `cairn-lab-${name}`), progress);
    progress.phase(`key pair ${paths.privateKey}: created (ed25519)`);
    wrote(paths.privateKey, true);
  } else if (!existsSync(paths.publicKey)) {
    const r = await runChecked(['ssh-keygen', '-y', '-f', paths.privateKey], progress);
    wrote(paths.publicKey, writeFileIfChanged(paths.publicKey, r.stdout));
  }
  return readFileSync(paths.publicKey, 'utf8').trim();
}

/** Logs in to every node with the lab key and strict host key checking, as cairn will. */
async function checkSsh(plan: LabPlan, paths: LabPaths, progress: Progress, deadlineMs: number): Promise<void> {
  await Promise.all(
    plan.nodes.map(async (n) => {
      const argv = sshProbeArgv(sshTarget(paths, n.managementAddress));
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const r = await runCommand(argv, progress);
        if (r.code === 0) return;
        if (Date.now() > deadline) {
          throw new HostError(`${n.name}: ssh with the lab key failed: ${tail(r.stderr, 3) || `exit ${r.code}`}`, { logFile: progress.logFile });
        }
        await new Promise((res) => setTimeout(res, 500));
      }
    }),
  );
  progress.phase(`ssh with the lab key: ok on ${plan.nodes.map((n) => n.name).join(', ')}`);
}

function sshTarget(paths: LabPaths, address: string): SshTarget {
  return { address, user: 'root', port: 22, privateKey: paths.privateKey, knownHosts: paths.knownHosts };
}

/**
 * Writes answer-files/NAME.ini from the generator, or brings the lab's host keys of an existing
 * one in step (its passwords and your edits are kept). Returns whether the file changed.
 */
function writeLabAnswerFile(plan: LabPlan, paths: LabPaths, root: string, progress: Progress): boolean {
  const settings = labAnswerSettings(plan, paths.publicKey);
  const shown = relativeFrom(`${root}/x`, paths.answerFile);
  if (!existsSync(paths.answerFile)) {
    return writeFileIfChanged(paths.answerFile, generateAnswerFile(settings), 0o600);
  }
  const current = readFileSync(paths.answerFile, 'utf8');
  const update = updateAnswerFile(current, settings);
  for (const key of update.missing) progress.warn(`${shown} has no ${key}; set it to ${settings[key]} for this lab`);
  if (update.changed.length === 0) return false;
  for (const c of update.changed) progress.warn(`${shown}: ${c} (follows the lab; passwords and other keys kept)`);
  return writeFileIfChanged(paths.answerFile, update.text, 0o600);
}

/** `lab down` options. */
export interface LabDownOptions extends LabCommonOptions {
  /** Also delete the lab's key pair, lab.json, inventory, answer file and package cache. */
  purge?: boolean;
}

/**
 * Removes every container and network of lab `name` (found by label, whatever lab.json says)
 * and its known_hosts. Keeps the key pair, lab.json (the lab's addresses), the inventory, the
 * answer file (its passwords) and the package cache unless `purge`. Idempotent.
 */
export async function labDown(opts: LabDownOptions): Promise<{ removed: string[]; seconds: number }> {
  const { name, root, paths } = resolveName(opts);
  const record = readLabRecord(paths.stateFile);
  const providerName = record && !('problem' in record) ? record.provider : 'docker';
  const progress = new Progress(opts.progressOut, existsSync(paths.stateDir) && !opts.purge ? paths.logFile : undefined);
  const provider = await providerFor(providerName);
  const removed = await engineErrors(() => provider.down(name, { paths, progress }, opts.purge), progress.logFile);
  const files = opts.purge ? [paths.stateDir, paths.inventory, paths.answerFile] : [paths.knownHosts];
  for (const f of files) {
    if (existsSync(f)) {
      rmSync(f, { recursive: true, force: true });
      removed.push(relativeFrom(`${root}/x`, f));
      progress.phase(`${relativeFrom(`${root}/x`, f)}: deleted`);
    }
  }
  progress.phase(removed.length ? `lab ${name} is down` : `lab ${name}: nothing to remove`);
  return { removed, seconds: progress.elapsed() };
}

/** What `lab status` reports. */
export interface LabStatus extends LabObservation {
  name: string;
  provider: ProviderName;
  management?: string;
  external?: string;
}

/** The lab as the provider sees it, with the planned addresses. */
export async function labStatus(opts: LabCommonOptions): Promise<LabStatus> {
  const { name, paths } = resolveName(opts);
  const record = recordOf(paths);
  const providerName = record?.provider ?? 'docker';
  const plan = record ? planLab(name, { controllers: record.controllers, computes: record.computes }, record.slot) : undefined;
  const provider = await providerFor(providerName);
  const seen = await engineErrors(() => provider.status(plan, name));
  return {
    name,
    provider: providerName,
    ...(plan ? { management: plan.management.subnet, external: plan.external.subnet } : {}),
    ...seen,
  };
}

/** `lab ssh` options. */
export interface LabSshOptions extends LabCommonOptions {
  node: string;
  command: string[];
  /** Allocate a terminal (cairn runs on one). */
  tty: boolean;
}

/** Runs ssh to a node (a shell, or the command) and resolves with ssh's exit status. */
export async function labSsh(opts: LabSshOptions): Promise<number> {
  const { name, paths } = resolveName(opts);
  const record = recordOf(paths);
  if (!record) throw new UsageError(`lab ${name} does not exist here (no ${paths.stateFile}); run \`cairn lab up${name === DEFAULT_LAB_NAME ? '' : ` --name ${name}`}\``);
  const plan = planLab(name, { controllers: record.controllers, computes: record.computes }, record.slot);
  const node = plan.nodes.find((n) => n.name === opts.node || n.name === `${name}-${opts.node}`);
  if (!node) throw new UsageError(`lab ${name} has no node '${opts.node}' (nodes: ${plan.nodes.map((n) => n.name).join(', ')})`);
  if (!existsSync(paths.knownHosts)) throw new HostError(`lab ${name} is not up (no ${paths.knownHosts}); run \`cairn lab up\``);
  const argv = sshArgv(sshTarget(paths, node.managementAddress), opts.command, opts.tty);
  return new Promise((res, rej) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', (e) => rej(new HostError(`cannot run ssh: ${e.message} (run scripts/lab-host-setup.sh)`)));
    child.on('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

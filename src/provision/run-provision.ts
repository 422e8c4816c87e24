/**
 * Demo provisioning, run after a successful deploy (CONFIG_PROVISION_DEMO=y): the guest image's
 * files go to the control host, then one Python process there (openstacksdk, the admin
 * credentials) makes the cloud hold demo-spec.ts's resources (templates/provision/ensure-demo.py).
 *
 * Idempotent twice over: the script creates only what is missing, and a stamp on the control
 * host (the sha256 of what was asked) skips the whole step when nothing changed since it last
 * succeeded, so a no-op re-run costs one command, not a Python start and a dozen API calls.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../config/model.js';
import type { GuestImage } from '../guest/guest-image.js';
import { packageRoot } from '../render/templates.js';
import type { Transport } from '../transport/transport.js';
import { demoSpec, type DemoSpec } from './demo-spec.js';
import { apiRunner, jsonLines, type ApiRunner } from './api-runner.js';

/** Where the guest image's files go on the control host. */
export const GUEST_DIR = '/var/lib/cairn/guest';
/** Where they are copied inside the API container (containers mode: the script runs there). */
export const CONTAINER_GUEST_DIR = '/tmp/cairn-guest';
/** The stamp of the last successful provisioning. */
export const STAMP = '/var/lib/cairn/provision-demo.sha256';
/** The bootable image's disk: Nova needs one; the guest runs from its ramdisk (1 MiB of zeros). */
const ROOT_DISK = Buffer.alloc(1024 * 1024);

/** One resource the script reported. */
export interface ProvisionChange {
  resource: string;
  action: 'exists' | 'created' | 'replaced';
}

/** The outcome of demo provisioning. */
export interface ProvisionReport {
  ok: boolean;
  /** True when the stamp said nothing changed since the last run. */
  unchanged: boolean;
  changes: ProvisionChange[];
  ms: number;
  /** Why it failed (last lines of the script's errors). */
  error?: string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The JSON the script reads: the spec, with each image's file (as the script sees it) and hash. */
export function provisionPayload(d: Deployment, spec: DemoSpec, image: Pick<GuestImage, 'manifest'>, fileDir: string): Record<string, unknown> {
  const f = image.manifest.files;
  return {
    adminUser: d.keystone.adminUser,
    images: [
      { role: 'kernel', name: spec.image.kernel, file: `${fileDir}/vmlinuz`, sha256: f.kernel.sha256, diskFormat: 'aki', containerFormat: 'aki' },
      { role: 'ramdisk', name: spec.image.ramdisk, file: `${fileDir}/initrd.img`, sha256: f.initrd.sha256, diskFormat: 'ari', containerFormat: 'ari' },
      // Its hash names the pair it boots, so a new kernel or ramdisk makes a new bootable image.
      { role: 'guest', name: spec.image.guest, file: `${fileDir}/root.raw`, sha256: sha256(`${f.kernel.sha256} ${f.initrd.sha256}`), diskFormat: 'raw', containerFormat: 'bare', refs: ['kernel', 'ramdisk'] },
    ],
    flavors: spec.flavors,
    external: spec.external,
    private: spec.private,
    router: spec.router,
    securityGroupRules: spec.securityGroupRules,
  };
}

/** The shell text sent on stdin: the credentials' preamble, then Python with the spec inlined. */
export function provisionScript(payload: Record<string, unknown>, preamble: string): string {
  const script = readFileSync(join(packageRoot(), 'templates', 'provision', 'ensure-demo.py'), 'utf8');
  const spec = Buffer.from(JSON.stringify(payload)).toString('base64');
  return `${preamble}\npython3 - <<'CAIRN_PY'\nCAIRN_SPEC = "${spec}"\n${script}CAIRN_PY\n`;
}

/** Parses the script's JSON lines (other lines are ignored). */
export function parseChanges(stdout: string): ProvisionChange[] {
  return jsonLines<ProvisionChange>(stdout, (v) => typeof v.resource === 'string' && typeof v.action === 'string');
}

/**
 * `docker cp` of the control host's guest files into the API container. A container of its own
 * would need no copy, but the running one is known healthy, has the client, and reaches the APIs
 * as verify's checks do; the copy (about 10 MB) goes away with the container.
 */
export function copyIntoContainerArgv(apiContainer: string): string[] {
  return ['docker', 'cp', `${GUEST_DIR}/.`, `${apiContainer}:${CONTAINER_GUEST_DIR}`];
}

/**
 * Provisions the demo cloud of `d` through the control host's transport `t`. Packages mode: the
 * script runs on the host, which has the clients and keystonerc_admin. Containers mode
 * (`apiContainer`): the host has no client; the script runs in that container, which gets the
 * image files first.
 */
export async function provisionDemo(d: Deployment, t: Transport, image: GuestImage, apiContainer?: string): Promise<ProvisionReport> {
  const started = Date.now();
  const done = (r: Omit<ProvisionReport, 'ms'>): ProvisionReport => ({ ...r, ms: Date.now() - started });
  const spec = demoSpec(d);
  if ('message' in spec) return done({ ok: false, unchanged: false, changes: [], error: spec.message });
  const runner: ApiRunner = apiRunner(d, apiContainer);
  const payload = provisionPayload(d, spec, image, apiContainer ? CONTAINER_GUEST_DIR : GUEST_DIR);
  const stamp = sha256(JSON.stringify(payload));
  const seen = await t.run({ argv: ['cat', STAMP] });
  if (seen.code === 0 && seen.stdout.trim() === stamp) return done({ ok: true, unchanged: true, changes: [] });

  const files: [string, Buffer][] = [
    ['vmlinuz', readFileSync(image.kernel)],
    ['initrd.img', readFileSync(image.initrd)],
    ['root.raw', ROOT_DISK],
  ];
  const have = await t.hashFiles(files.map(([n]) => `${GUEST_DIR}/${n}`));
  for (const [name, bytes] of files) {
    if (have.get(`${GUEST_DIR}/${name}`) !== sha256(bytes)) await t.put(`${GUEST_DIR}/${name}`, bytes, { mode: '0644', owner: 'root', group: 'root' });
  }
  if (apiContainer) {
    const cp = await t.run({ argv: copyIntoContainerArgv(apiContainer), timeoutMs: 120_000 });
    if (cp.code !== 0) return done({ ok: false, unchanged: false, changes: [], error: `copying the guest image into ${apiContainer}: ${cp.stderr.trim()}` });
  }
  const r = await t.run({ argv: runner.argv, stdin: provisionScript(payload, runner.preamble), timeoutMs: 900_000, secrets: runner.secrets });
  const changes = parseChanges(r.stdout);
  if (r.code !== 0) {
    const error = (r.stderr || r.stdout).trim().split('\n').slice(-6).join('\n');
    return done({ ok: false, unchanged: false, changes, error: `the provisioning script exited ${r.code}: ${error}` });
  }
  await t.put(STAMP, `${stamp}\n`, { mode: '0644', owner: 'root', group: 'root' });
  return done({ ok: true, unchanged: false, changes });
}

/**
 * This machine's Docker engine, on top of dockerode: connect, exec with exit code, and
 * inspecting images, containers and networks (undefined/false when absent). Used by the lab
 * (src/lab/) and by containers mode (src/containers/); a lab's own objects by label are in
 * src/lab/lab-objects.ts.
 */
import type Docker from 'dockerode';
import { dockerode } from './dockerode-lazy.js';
import { PassThrough } from 'node:stream';
import { HostError } from '../errors.js';

/** The local engine (DOCKER_HOST if set, else /var/run/docker.sock), checked to answer. */
export async function connectDocker(): Promise<Docker> {
  const docker = new (dockerode())();
  try {
    await withTimeout(docker.ping(), 10_000, 'no answer within 10 s');
  } catch (err) {
    const where = process.env['DOCKER_HOST'] ?? '/var/run/docker.sock';
    throw new HostError(
      `the Docker engine does not answer at ${where} (${(err as Error).message}); start it with scripts/lab-host-setup.sh`,
    );
  }
  return docker;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** What a command run in a container returned. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` in a running container (as root) and waits for it. */
export async function execIn(docker: Docker, container: string, argv: readonly string[], timeoutMs = 120_000): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  docker.modem.demuxStream(stream, out, err);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
      stream.on('error', reject);
    }),
    timeoutMs,
    `'${argv.join(' ')}' in ${container} did not finish within ${timeoutMs / 1000} s`,
  );
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, stdout, stderr };
}

/** Whether the engine has image `tag`. */
export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Inspects a container by name; undefined when there is none. */
export async function inspectContainer(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Inspects a network by name; undefined when there is none. */
export async function inspectNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    return (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Every subnet of every network on the engine (e.g. to keep lab subnets clear of them). */
export async function allSubnets(docker: Docker): Promise<{ network: string; subnet: string; labels: Record<string, string> }[]> {
  const nets = await docker.listNetworks();
  return nets.flatMap((n) =>
    (n.IPAM?.Config ?? [])
      .map((c) => c.Subnet)
      .filter((s): s is string => typeof s === 'string')
      .map((subnet) => ({ network: n.Name, subnet, labels: n.Labels ?? {} })),
  );
}

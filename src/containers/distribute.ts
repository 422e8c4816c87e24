/**
 * Images reach nodes as `docker save | docker load`, streamed through the node's SSH connection
 * (the engine API's GET /images/get on this machine, POST /images/load on the node).
 *
 * Why not a registry cairn runs (Debian's docker-registry): a plain-HTTP registry must be listed
 * in every node engine's `insecure-registries` (or be given a certificate every node trusts), and
 * that means rewriting daemon.json and restarting dockerd on each node, which stops every running
 * container there unless live-restore is on; the nodes would also need a route back to the deploy
 * host. save|load needs nothing on the node but its engine, uses the connection cairn already
 * holds, and is skipped when the node has the image already (compared by image id). What it
 * loses: layer dedup across transfers (a transfer carries whole images, ~10 s per image in the
 * lab, LAB.md). ensureImages sends every image a node lacks in ONE save stream, in which the
 * layers the images share (Debian, python3, the nova-base and neutron-base layers) appear once;
 * a registry is the place for dedup against what the node already has, at scale.
 */
import type Docker from 'dockerode';
import { containersError, tailLines } from './errors.js';
import type { NodeDocker } from './docker-over-ssh.js';

/** `docker inspect` of image `ref` (its id and size), undefined when `docker` has none. */
async function inspectImage(docker: Docker, ref: string): Promise<{ Id: string; Size?: number } | undefined> {
  try {
    return (await docker.getImage(ref).inspect()) as { Id: string; Size?: number };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Image id of `ref` on `docker`, undefined when it has none. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  return (await inspectImage(docker, ref))?.Id;
}

/** Reads an engine's JSON-lines progress stream to its end; the first error message, if any. */
function drain(stream: NodeJS.ReadableStream): Promise<{ error?: string; text: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('error', reject);
    stream.on('end', () => {
      let error: string | undefined;
      for (const line of text.split('\n')) {
        try {
          const e = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
          error ??= e.errorDetail?.message ?? e.error;
        } catch {
          // not JSON: older engines print plain text
        }
      }
      resolve({ ...(error ? { error } : {}), text });
    });
  });
}

const hostName = (h: string | { name: string }): string => (typeof h === 'string' ? h : h.name);

/** What ensureImage did. */
export type ImageOutcome = 'present' | 'loaded';

/**
 * Makes `node` have `ref` with the same image id as this machine's engine: nothing when it has,
 * else streams `docker save` from `local` into the node's `docker load`.
 */
export async function ensureImage(local: Docker, node: Pick<NodeDocker, 'docker'> & { host: string | { name: string } }, ref: string): Promise<ImageOutcome> {
  const want = await imageId(local, ref);
  if (!want) throw containersError(`image ${ref} is not on this machine: build it with 'cairn images build --tag ${ref.slice(ref.lastIndexOf(':') + 1)}'`);
  if ((await imageId(node.docker, ref)) === want) return 'present';
  const tar = await local.getImage(ref).get();
  const response = await node.docker.loadImage(tar, { quiet: true });
  const { error, text } = await drain(response);
  if (error) throw containersError(`loading ${ref} into the node's engine failed: ${error}`, hostName(node.host), tailLines(text));
  const got = await imageId(node.docker, ref);
  if (got !== want) throw containersError(`after loading, the node has ${ref} as ${got ?? 'nothing'}, not ${want}`, hostName(node.host), tailLines(text));
  return 'loaded';
}

/**
 * Makes `node` have every one of `refs` (as ensureImage does for one), sending the missing ones
 * in a single `docker save` stream: nova's five images share most of their layers, which then
 * cross the connection once instead of five times. Returns the refs it loaded; `onSend` hears
 * which are missing (and their summed size) before the stream starts.
 */
export async function ensureImages(
  local: Docker,
  node: Pick<NodeDocker, 'docker'> & { host: string | { name: string } },
  refs: readonly string[],
  onSend: (missing: string[], bytes: number) => void = () => undefined,
): Promise<string[]> {
  const wanted = new Map<string, string>();
  // The sum over-counts shared layers, but says what order of size (and wait) this is.
  let bytes = 0;
  for (const ref of new Set(refs)) {
    // One inspect here gives both the id to compare and the size to announce.
    const here = await inspectImage(local, ref);
    if (!here) throw containersError(`image ${ref} is not on this machine: build it with 'cairn images build --tag ${ref.slice(ref.lastIndexOf(':') + 1)}'`);
    if ((await imageId(node.docker, ref)) !== here.Id) {
      wanted.set(ref, here.Id);
      bytes += here.Size ?? 0;
    }
  }
  if (wanted.size === 0) return [];
  onSend([...wanted.keys()], bytes);
  // dockerode has getImages (GET /images/get?names=a&names=b) but its types do not declare it.
  const saveMany = local as unknown as { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> };
  const tar = await saveMany.getImages({ names: [...wanted.keys()] });
  const response = await node.docker.loadImage(tar, { quiet: true });
  const { error, text } = await drain(response);
  if (error) throw containersError(`loading ${[...wanted.keys()].join(', ')} into the node's engine failed: ${error}`, hostName(node.host), tailLines(text));
  for (const [ref, id] of wanted) {
    const got = await imageId(node.docker, ref);
    if (got !== id) throw containersError(`after loading, the node has ${ref} as ${got ?? 'nothing'}, not ${id}`, hostName(node.host), tailLines(text));
  }
  return [...wanted.keys()];
}

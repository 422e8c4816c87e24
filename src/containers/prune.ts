/**
 * Old service images leave a node once a later version has proved itself there. Each build of a
 * service is a whole image on the node (hundreds of MB of its own layers), and every upgrade,
 * refused build and rollback target would otherwise stay forever. The rule: an image of the
 * service's repository that no container on the node uses — running, kept as -previous, or any
 * other (nova-metadata-api runs the nova-api image) — goes; the running version and the kept
 * previous one always stay, so a rollback never needs the network. An older tag named with
 * `rollback --to` is sent again from this machine's engine, which keeps every build.
 */
import type Docker from 'dockerode';

/** What the engine lists of an image (GET /images/json). */
export interface ListedImage {
  Id: string;
  RepoTags?: string[] | null;
}

/** What the engine lists of a container (GET /containers/json?all=1). */
export interface ListedContainer {
  ImageID: string;
}

/**
 * The references `repository:tag` on a node to remove: tags of `repository` on images that no
 * container uses. Pure; newest-first order is not needed, removal order does not matter.
 */
export function unusedImageRefs(repository: string, images: readonly ListedImage[], containers: readonly ListedContainer[]): string[] {
  const used = new Set(containers.map((c) => c.ImageID));
  return images
    .filter((i) => !used.has(i.Id))
    .flatMap((i) => (i.RepoTags ?? []).filter((ref) => ref.startsWith(`${repository}:`)))
    .sort();
}

/**
 * Removes from `docker` the images of `repository` no container uses (see the file comment);
 * returns the references removed. Never forced: an image the engine still finds in use (a
 * container created since the listing) stays, and so does one it cannot remove for any reason —
 * pruning is housekeeping, never a reason to fail an upgrade that succeeded.
 */
export async function pruneUnusedImages(docker: Docker, repository: string): Promise<{ removed: string[]; kept: { ref: string; why: string }[] }> {
  const [images, containers] = await Promise.all([
    docker.listImages({ filters: { reference: [repository] } }) as Promise<ListedImage[]>,
    docker.listContainers({ all: true }) as Promise<ListedContainer[]>,
  ]);
  const removed: string[] = [];
  const kept: { ref: string; why: string }[] = [];
  for (const ref of unusedImageRefs(repository, images, containers)) {
    try {
      await docker.getImage(ref).remove({ force: false, noprune: false });
      removed.push(ref);
    } catch (e) {
      kept.push({ ref, why: (e as Error).message.split('\n')[0] ?? '' });
    }
  }
  return { removed, kept };
}

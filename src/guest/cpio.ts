/**
 * Writes a cpio archive in the "newc" format the Linux kernel unpacks as an initramfs. Entries
 * get fixed owners (root) and a fixed time, and are written in path order, so the same files
 * give the same bytes: the guest image is reproducible.
 */

/** One entry of the archive; `path` is relative (no leading slash), as the kernel expects. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const TYPE = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const;
const hex = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, mode: number, nlink: number, name: string, data: Buffer): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header = Buffer.from(
    '070701' +
      // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
      [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex).join(''),
    'ascii',
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** The archive of `entries` (sorted by path; parents must be listed, the kernel creates none). */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = [];
  sorted.forEach((e, i) => {
    if (e.path.startsWith('/') || e.path === '') throw new Error(`bug: cpio path ${JSON.stringify(e.path)} must be relative`);
    if (e.kind === 'dir') parts.push(...record(i + 1, TYPE.dir | (e.mode ?? 0o755), 2, e.path, Buffer.alloc(0)));
    else if (e.kind === 'file') parts.push(...record(i + 1, TYPE.file | (e.mode ?? 0o644), 1, e.path, e.data));
    else parts.push(...record(i + 1, TYPE.symlink | 0o777, 1, e.path, Buffer.from(e.target, 'utf8')));
  });
  parts.push(...record(0, 0, 1, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

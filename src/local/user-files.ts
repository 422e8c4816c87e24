/**
 * Reading and writing the local files a user names (answer files, inventories, keys, render
 * output, credentials), so that a mistake or a crafted path gives one clear line, never a hang,
 * a stack trace or a write through someone else's symlink.
 *
 * Inputs are read only when they are regular files (a FIFO would block forever, /dev/zero would
 * never end), up to a size limit, and must be UTF-8. Outputs are opened without following a
 * symbolic link and without blocking, must turn out to be regular files, and get their mode set
 * on every write, before the content goes in: an existing 0644 file must not hold a password,
 * not even for an instant.
 */
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** The largest answer file or inventory cairn reads (real ones are under 100 kB). */
export const INPUT_LIMIT_BYTES = 1024 * 1024;

/** What kind of file `st` is, for a message: "a directory", "a FIFO (named pipe)"... */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a regular file';
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ELOOP: 'is a symbolic link (cairn does not read or write through one here)',
  ENXIO: 'is a FIFO or device with no reader',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/** The reason an fs call failed, as a user reads it. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code !== undefined ? FS_REASONS[err.code] : undefined) ?? err.code ?? String(err.message);
}

/**
 * Reads a file the user named as bytes: a regular file of at most `limit` bytes, or a
 * UsageError naming `what` and `path`. Never blocks on a FIFO or device.
 */
export function readUserBytes(path: string, what: string, limit = INPUT_LIMIT_BYTES): Buffer {
  const fail = (why: string): never => {
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail(describeFsError(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`is ${kindOf(st)}, not a regular file`);
    if (st.size > limit) return fail(`is ${formatSize(st.size)}; cairn reads at most ${formatSize(limit)} here`);
    // Read to the limit, not to st.size: files under /proc report size 0 and may grow.
    const buf = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > limit) return fail(`is larger than ${formatSize(limit)}; cairn reads at most that here`);
    }
    return buf.subarray(0, length);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return fail(describeFsError(e));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a text file the user named (see readUserBytes) and decodes it as UTF-8, refusing
 * UTF-16 (Windows editors save it) and bytes that are not UTF-8 with the line they are on.
 */
export function readUserText(path: string, what: string, limit = INPUT_LIMIT_BYTES): string {
  return decodeUserText(readUserBytes(path, what, limit), path, what);
}

/** Decodes the bytes of a user's text file. */
function decodeUserText(bytes: Buffer, path: string, what: string): string {
  if (looksUtf16(bytes)) {
    throw new UsageError(`cannot read ${what} ${path}: it is UTF-16 text, cairn reads UTF-8; convert it with: iconv -f UTF-16 -t UTF-8 ${path} > ${path}.utf8`);
  }
  const text = bytes.toString('utf8');
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0 && !Buffer.from(text, 'utf8').equals(bytes)) {
    const line = text.slice(0, bad).split(/\r\n|\r|\n/).length;
    throw new UsageError(`cannot read ${what} ${path}: line ${line} holds bytes that are not UTF-8 (Latin-1?); save the file as UTF-8`);
  }
  return text;
}

/** A byte order mark of UTF-16, or ASCII text with a NUL after (or before) every character. */
function looksUtf16(bytes: Buffer): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return true;
  const sample = bytes.subarray(0, 512);
  if (sample.length < 4) return false;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) (i % 2 === 0 ? evenNul++ : oddNul++);
  const half = sample.length / 2;
  return evenNul > half * 0.8 || oddNul > half * 0.8;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

/** How writePrivateFile treats a file that is already there. */
export interface WriteOptions {
  /** Replace an existing regular file (default: refuse it). */
  overwrite?: boolean;
  /** Mode of the file, set on every write (default 0600). */
  mode?: number;
  /** Names the file in messages ("answer file", "render output"...). */
  what?: string;
}

/**
 * Writes `content` to `path`: never through a symbolic link (O_NOFOLLOW), never into a FIFO,
 * device or socket, mode set before the content is written. A UsageError says why not.
 */
export function writePrivateFile(path: string, content: string | Uint8Array, options: WriteOptions = {}): void {
  const { overwrite = false, mode = 0o600, what = 'file' } = options;
  const fail = (why: string): never => {
    throw new UsageError(`cannot write ${what} ${path}: ${why}`);
  };
  let fd: number;
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (overwrite ? 0 : constants.O_EXCL);
    fd = openSync(path, flags, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return fail('already exists');
    return fail(describeFsError(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`is ${kindOf(st)}, not a regular file`);
    // Mode first, then truncate, then write: the old content is gone before the new one
    // arrives, and no reader ever sees the new content under the old mode.
    fchmodSync(fd, mode);
    ftruncateSync(fd, 0);
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset, offset);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return fail(describeFsError(e));
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` and its missing parents one at a time (mode 0700), refusing what is in the way
 * with a UsageError that starts with `what`. Not mkdir({recursive}): that spins forever on some
 * paths (under /proc).
 */
export function createDirectories(dir: string, what: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${what} ${dir}: ${describeFsError(e)}`);
    }
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${what} ${dir}: ${cur} is ${kindOf(st)}, not a directory`);
      break;
    }
    missing.unshift(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      throw new UsageError(`${what} ${dir}: cannot create ${d}: ${describeFsError(e)}`);
    }
  }
}

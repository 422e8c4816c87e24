/**
 * Writes a render to a directory: DIR/<host>/<absolute path> plus DIR/manifest.json.
 * Files hold secrets, so they are written 0600 in 0700 directories whatever their mode on the
 * host will be (the manifest records that mode).
 *
 * DIR is the user's; everything under it is cairn's or refused. Re-rendering into an earlier
 * render removes what that render wrote, and only that: the earlier manifest must be cairn's
 * (it names hosts, and a host name is one path component), every entry of DIR must be one
 * that render made, and none of them may be a symbolic link. All of that is checked before
 * anything is removed, so a refusal leaves DIR as it was.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import type { Manifest } from '../render/manifest.js';
import type { RenderedFile } from '../render/render-files.js';
import { UsageError } from '../errors.js';
import { createDirectories, describeFsError, kindOf, readUserText, writePrivateFile } from '../local/user-files.js';

const MANIFEST = 'manifest.json';
/** A host's directory name: what inventory host names and IP addresses are made of, one component. */
const HOST_DIR = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** An earlier manifest larger than this is not one cairn wrote (1000 hosts fit in a few MB). */
const MANIFEST_LIMIT_BYTES = 64 * 1024 * 1024;

/** Writes `files` and `manifest` under `dir`, replacing a previous cairn render there. */
export function writeRenderTree(dir: string, files: readonly RenderedFile[], manifest: Manifest): void {
  const root = prepareOutputDir(dir);
  // The new manifest goes first: if a write fails half-way, it names every host directory this
  // run may have made, so the next render removes them and converges.
  writePrivateFile(join(root, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { overwrite: true, what: 'render manifest' });
  const made = new Set<string>([root]);
  for (const f of files) {
    if (!HOST_DIR.test(f.host)) throw new Error(`bug: rendered host name ${JSON.stringify(f.host)} is not one path component`);
    const target = resolve(root, f.host, `.${f.path}`);
    if (!isAbsolute(f.path) || !target.startsWith(join(root, f.host) + sep)) throw new Error(`bug: rendered path ${f.path} leaves its host's directory`);
    makeDirs(root, dirname(target), made);
    writePrivateFile(target, f.content, { what: 'rendered file' });
  }
}

/**
 * Makes `dir` usable as the output of a render and returns its real path: creates it (and its
 * missing parents), or checks that it is empty or an earlier render, whose host directories
 * it then removes.
 */
function prepareOutputDir(dir: string): string {
  const st = statOrUndefined(dir);
  if (!st) {
    createDirectories(dir, 'render output');
    return realpathSync(dir);
  }
  if (!st.isDirectory()) throw new UsageError(`render output ${dir}: is ${kindOf(st)}, not a directory; choose a new or empty directory`);
  const root = realpathSync(dir);
  const entries = readdirSync(root);
  if (entries.length === 0) return root;
  if (!entries.includes(MANIFEST)) {
    throw new UsageError(`render output ${dir}: is not empty and holds no ${MANIFEST} from an earlier render; choose a new or empty directory`);
  }
  const hosts = earlierHosts(join(dir, MANIFEST));
  for (const entry of entries) {
    if (entry === MANIFEST) continue;
    const path = join(dir, entry);
    if (!hosts.has(entry)) throw new UsageError(`render output ${path}: was not written by the earlier render (its ${MANIFEST} does not name it); move it away or choose another directory`);
    const est = lstatSync(path);
    if (!est.isDirectory()) throw new UsageError(`render output ${path}: is ${kindOf(est)}, not the host directory an earlier render wrote; move it away or choose another directory`);
  }
  // Checked: every entry is a real directory directly under root, named by the manifest.
  // rmSync does not follow symbolic links inside them.
  for (const entry of entries) if (entry !== MANIFEST) rmSync(join(root, entry), { recursive: true, force: true });
  return root;
}

/** The host directory names of the earlier render's manifest, or a UsageError if it is not cairn's. */
function earlierHosts(path: string): Set<string> {
  const lst = lstatSync(path);
  if (!lst.isFile()) throw new UsageError(`render output ${path}: is ${kindOf(lst)}, not the manifest an earlier render wrote; choose another directory`);
  const text = readUserText(path, 'earlier render manifest', MANIFEST_LIMIT_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`render output ${path}: is not valid JSON (${(e as Error).message}); it is not a manifest cairn wrote, so cairn will not replace this directory`);
  }
  const notOurs = (why: string): UsageError =>
    new UsageError(`render output ${path}: is not a manifest cairn wrote (${why}); cairn will not replace this directory`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw notOurs('not a JSON object');
  const m = data as Partial<Record<keyof Manifest, unknown>>;
  if (typeof m.cairn !== 'string') throw notOurs('no "cairn" version');
  if (!Array.isArray(m.hosts) || !Array.isArray(m.files)) throw notOurs('no "hosts" and "files" lists');
  const hosts = new Set<string>();
  for (const [i, f] of m.files.entries()) {
    const host = (f as { host?: unknown } | null)?.host;
    if (typeof host !== 'string' || !HOST_DIR.test(host)) throw notOurs(`files[${i}].host ${JSON.stringify(host)} is not a host name`);
    hosts.add(host);
  }
  return hosts;
}

/** Makes the directories from `root` down to `dir`, each new (so none can be a symlink). */
function makeDirs(root: string, dir: string, made: Set<string>): void {
  if (made.has(dir)) return;
  const parts = relative(root, dir).split(sep);
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    if (made.has(cur)) continue;
    try {
      mkdirSync(cur, { mode: 0o700 });
    } catch (e) {
      throw new UsageError(`render output ${cur}: cannot create: ${describeFsError(e)}`);
    }
    made.add(cur);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`render output ${path}: ${describeFsError(e)}`);
  }
}

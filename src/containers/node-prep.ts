/**
 * What a node needs before containers start: a Docker engine, the service's directories (one
 * command for all of them) and its rendered files (only those whose sha256 differs: a no-op run
 * writes nothing). Runs over the node's transport.
 */
import type { Transport } from '../transport/transport.js';
import type { ContainerDir, ContainerFile } from './desired.js';
import { containersError, tailLines } from './errors.js';

/**
 * argv that makes every directory with its mode and numeric owner (install -d also fixes existing
 * ones), and makes the `shared` ones shared mount points (bound on themselves first when they
 * are not mount points yet; both steps are no-ops the second time).
 */
export function dirsArgv(dirs: readonly ContainerDir[]): string[] {
  const script = [
    'set -e',
    'while [ $# -gt 0 ]; do',
    '  install -d -m "$1" -o "$2" -g "$3" -- "$4"',
    '  if [ "$5" = shared ]; then mountpoint -q "$4" || mount --bind "$4" "$4"; mount --make-shared "$4"; fi',
    '  shift 5',
    'done',
  ].join('\n');
  return ['sh', '-c', script, 'sh', ...dirs.flatMap((d) => [d.mode, d.owner, d.group, d.path, d.shared ? 'shared' : '-'])];
}

/**
 * argv that installs and starts Docker's engine when the node has none (Debian's docker.io; a
 * node without systemd, a plain container, must have it already).
 */
export function ensureEngineArgv(): string[] {
  const script = [
    'set -e',
    '[ -S /var/run/docker.sock ] && exit 0',
    'export DEBIAN_FRONTEND=noninteractive',
    'command -v dockerd >/dev/null || { apt-get update -q && apt-get install -y -q docker.io; }',
    'systemctl enable --now docker',
    'i=0; while [ ! -S /var/run/docker.sock ] && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done',
    '[ -S /var/run/docker.sock ]',
  ].join('\n');
  return ['sh', '-c', script];
}

/** Makes sure the node runs a Docker engine. */
export async function ensureEngine(t: Transport): Promise<void> {
  const r = await t.run({ argv: ensureEngineArgv(), timeoutMs: 900_000 });
  if (r.code !== 0) throw containersError(`cannot install or start the Docker engine (exit ${r.code})`, t.host, tailLines(r.stderr || r.stdout));
}

/** Creates the directories and writes the files that changed; returns the paths written. */
export async function syncFiles(t: Transport, dirs: readonly ContainerDir[], files: readonly ContainerFile[]): Promise<string[]> {
  if (dirs.length) {
    const r = await t.run({ argv: dirsArgv(dirs) });
    if (r.code !== 0) throw containersError(`cannot create the container directories (exit ${r.code})`, t.host, tailLines(r.stderr));
  }
  const hashes = await t.hashFiles(files.map((f) => f.hostPath));
  const written: string[] = [];
  for (const f of files) {
    if (hashes.get(f.hostPath) === f.sha256) continue;
    await t.put(f.hostPath, f.content, { mode: f.mode, owner: f.owner, group: f.group });
    written.push(f.hostPath);
  }
  return written;
}

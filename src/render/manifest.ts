/** The manifest: what cairn would put where, without the contents. Deterministic JSON. */
import type { Deployment } from '../config/model.js';
import type { RenderedFile } from './render-files.js';

/** One manifest entry. */
export interface ManifestEntry {
  host: string;
  path: string;
  mode: string;
  owner: string;
  group: string;
  sha256: string;
  service: string;
  /** Units restarted when this file changes. */
  restarts: string[];
}

/** The manifest document. */
export interface Manifest {
  cairn: string;
  hosts: { name: string; address: string; roles: string[]; osFamily: string }[];
  files: ManifestEntry[];
}

/** Builds the manifest of a render (no timestamps: same input, same bytes). */
export function buildManifest(deployment: Deployment, files: readonly RenderedFile[], version: string): Manifest {
  return {
    cairn: version,
    hosts: deployment.hosts.map((h) => ({ name: h.name, address: h.address, roles: [...h.roles], osFamily: h.osFamily })),
    files: files.map((f) => ({
      host: f.host,
      path: f.path,
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      sha256: f.sha256,
      service: f.service,
      restarts: [...f.restarts],
    })),
  };
}

/**
 * Rendering: Deployment -> RenderedFile[]. Pure apart from reading templates; same input gives
 * the same bytes, so a sha256 decides what changed and which services restart.
 */
import { createHash } from 'node:crypto';
import type { Deployment } from '../config/model.js';
import type { ServiceDescriptor } from '../services/descriptor.js';
import { TemplateSet } from './templates.js';

/** One file cairn puts on one host. */
export interface RenderedFile {
  /** Host name (Host.name). */
  host: string;
  /** Absolute path on that host. */
  path: string;
  mode: string;
  owner: string;
  group: string;
  /** Descriptor that owns the file. */
  service: string;
  /** systemd units restarted when the file changes. */
  restarts: string[];
  content: string;
  sha256: string;
}

/** sha256 of a string's UTF-8 bytes, hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Renders every file of every enabled service for every host, in a stable order
 * (hosts as declared, services as listed, files as each descriptor lists them).
 */
export function renderFiles(
  deployment: Deployment,
  services: readonly ServiceDescriptor[],
  templates: TemplateSet = new TemplateSet(),
): RenderedFile[] {
  const out: RenderedFile[] = [];
  const seen = new Map<string, string>();
  for (const host of deployment.hosts) {
    for (const service of services) {
      if (!service.enabled(deployment)) continue;
      for (const spec of service.files({ deployment, host, os: host.osFamily })) {
        const key = `${host.name}\0${spec.path}`;
        const owner = seen.get(key);
        if (owner !== undefined) {
          throw new Error(`bug: ${host.name}:${spec.path} is rendered by both ${owner} and ${service.name}`);
        }
        seen.set(key, service.name);
        const content = templates.get(spec.template)(spec.view);
        out.push({
          host: host.name,
          path: spec.path,
          mode: spec.mode,
          owner: spec.owner,
          group: spec.group,
          service: service.name,
          restarts: [...spec.restarts],
          content,
          sha256: sha256(content),
        });
      }
    }
  }
  return out;
}

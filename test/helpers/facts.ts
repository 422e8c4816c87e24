/** Builds HostFacts for unit tests from a compact JSON shape (only what a case sets). */
import type { HostFacts } from '../../src/facts/probe.js';
import { parseFacts } from '../../src/facts/probe.js';

/** The JSON shape case files use. */
export interface FactsJson {
  files?: Record<string, string | null>;
  installed?: string[];
  units?: Record<string, { enabled: string; active: string }>;
  sysctl?: Record<string, string>;
  guards?: Record<string, number>;
  stamps?: Record<string, string>;
  pendingRestarts?: string[];
  existing?: string[];
  portOf?: Record<string, string>;
  interfaces?: string[];
  addresses?: Record<string, string[]>;
  canSetClock?: boolean;
}

/** Facts of a healthy Debian 12 host, overridden by `json`. */
export function factsFrom(json: FactsJson): HostFacts {
  const f = parseFacts('os\tid\tdebian\nos\tversion\t12\nhost\tsudo_ok\tyes\n');
  f.files = new Map(Object.entries(json.files ?? {}).map(([k, v]) => [k, v ?? undefined]));
  f.installed = new Set(json.installed ?? []);
  f.units = new Map(Object.entries(json.units ?? {}));
  f.sysctl = new Map(Object.entries(json.sysctl ?? {}));
  f.guards = new Map(Object.entries(json.guards ?? {}));
  f.stamps = new Map(Object.entries(json.stamps ?? {}));
  f.pendingRestarts = new Set(json.pendingRestarts ?? []);
  f.existing = new Set(json.existing ?? []);
  f.portOf = new Map(Object.entries(json.portOf ?? {}));
  f.interfaces = json.interfaces ?? [];
  f.addresses = json.addresses ?? {};
  if (json.canSetClock !== undefined) f.canSetClock = json.canSetClock;
  return f;
}

/**
 * Playbooks: per role, the host-preparation steps a host runs (a wait for the clock, the OVS
 * bridges, kernel parameters, commands). YAML files in playbooks/, validated with a JSON
 * schema; problems name file, line and path like every other input. Which services run on a
 * role is the descriptors' to say (their components' roles, their `roles`), and the order steps
 * run in is order.ts's: neither is a playbook's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument, type Node } from 'yaml';
import type { Role } from '../config/model.js';
import type { Problem } from '../config/problems.js';
import { lineAt } from '../config/yaml-lines.js';

/** A command step as a playbook writes it. */
export interface PlaybookCommand {
  name: string;
  argv: string[];
  creates?: string;
  unless?: string[];
}

/** One role's playbook. */
export interface Playbook {
  role: Role;
  file: string;
  chronySync: boolean;
  ovsBridges: boolean;
  sysctl: Record<string, string>;
  commands: PlaybookCommand[];
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: {
    role: { enum: ['control', 'network', 'compute'] },
    steps: {
      type: 'array',
      items: {
        oneOf: [
          { enum: ['chrony-sync', 'ovs-bridges'] },
          {
            type: 'object',
            additionalProperties: false,
            required: ['sysctl'],
            properties: { sysctl: { type: 'object', additionalProperties: { type: 'string' } } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['command'],
            properties: {
              command: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'argv'],
                properties: {
                  name: { type: 'string', minLength: 1 },
                  argv: { type: 'array', items: { type: 'string' }, minItems: 1 },
                  creates: { type: 'string', pattern: '^/' },
                  unless: { type: 'array', items: { type: 'string' }, minItems: 1 },
                },
              },
            },
          },
        ],
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

type StepData = string | { sysctl: Record<string, string> } | { command: PlaybookCommand };

/**
 * Parses one playbook.
 * @param _knownServices no longer read (playbooks name no services); kept so that callers
 *   written before that still compile.
 */
export function parsePlaybook(text: string, file: string, _knownServices?: readonly string[]): { playbook?: Playbook; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lineCounter.linePos(n.range[0]).line : 0);
  const problems: Problem[] = [];
  const report = (path: (string | number)[], message: string): void => {
    problems.push({ severity: 'error', file, line: lineAt(doc, path, lineOf), key: path.join('/') || '(top level)', message });
  };
  for (const e of doc.errors) {
    problems.push({ severity: 'error', file, line: e.linePos?.[0].line ?? 0, key: '(yaml)', message: e.message.split('\n')[0]! });
  }
  if (problems.length > 0) return { problems };
  const data = doc.toJS() as unknown;
  if (typeof data === 'object' && data !== null && 'services' in data) {
    // Said plainly rather than as the schema's "must NOT have additional properties".
    report(['services'], 'a playbook no longer lists services: each service\'s descriptor says which roles run it (its components\' roles, its roles)');
    return { problems };
  }
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      // oneOf reports every branch; the branch errors below it say more, so skip the summary.
      if (e.keyword === 'oneOf') continue;
      const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      report(path, e.message ?? 'invalid');
    }
    return { problems };
  }
  const raw = data as { role: Role; steps?: StepData[] };
  const playbook: Playbook = { role: raw.role, file, chronySync: false, ovsBridges: false, sysctl: {}, commands: [] };
  for (const step of raw.steps ?? []) {
    if (step === 'chrony-sync') playbook.chronySync = true;
    else if (step === 'ovs-bridges') playbook.ovsBridges = true;
    else if (typeof step === 'object' && 'sysctl' in step) Object.assign(playbook.sysctl, step.sysctl);
    else if (typeof step === 'object' && 'command' in step) playbook.commands.push(step.command);
  }
  return { playbook, problems };
}

/**
 * Reads every playbook in `dir` (one per role).
 * @param _knownServices no longer read, as in parsePlaybook.
 */
export function loadPlaybooks(dir: string, _knownServices?: readonly string[]): { playbooks: Playbook[]; problems: Problem[] } {
  const playbooks: Playbook[] = [];
  const problems: Problem[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yml')).sort()) {
    const r = parsePlaybook(readFileSync(join(dir, name), 'utf8'), join(dir, name));
    problems.push(...r.problems);
    if (r.playbook) playbooks.push(r.playbook);
  }
  for (const role of ['control', 'network', 'compute'] as const) {
    if (!playbooks.some((p) => p.role === role)) problems.push({ severity: 'error', file: dir, line: 0, key: role, message: `no playbook for role ${role}` });
  }
  return { playbooks, problems };
}

/**
 * lab.json: what a lab was asked to be (provider, shape) and the address slot it got, so later
 * runs keep the same addresses and `lab up` without flags keeps the same shape.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labsDir } from './lab-name.js';
import { writeFileIfChanged } from './files.js';

/** The providers a lab can run on. */
export type ProviderName = 'docker' | 'libvirt';

/** Contents of .cairn/labs/NAME/lab.json. */
export interface LabRecord {
  name: string;
  provider: ProviderName;
  slot: number;
  controllers: number;
  computes: number;
}

function isRecord(v: unknown): v is LabRecord {
  const r = v as Partial<LabRecord> | null;
  return (
    typeof r === 'object' && r !== null &&
    typeof r.name === 'string' &&
    (r.provider === 'docker' || r.provider === 'libvirt') &&
    Number.isInteger(r.slot) && Number.isInteger(r.controllers) && Number.isInteger(r.computes)
  );
}

/** The record at `file`; undefined when there is none. A damaged file is reported, not guessed at. */
export function readLabRecord(file: string): LabRecord | undefined | { problem: string } {
  if (!existsSync(file)) return undefined;
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isRecord(data) ? data : { problem: `${file} is not a lab record (delete it, or run \`cairn lab down\` first)` };
  } catch (e) {
    return { problem: `${file} is not valid JSON: ${(e as Error).message}` };
  }
}

/** Writes `record` (only when it changed). */
export function writeLabRecord(file: string, record: LabRecord): boolean {
  const { name, provider, slot, controllers, computes } = record;
  return writeFileIfChanged(file, `${JSON.stringify({ name, provider, slot, controllers, computes }, null, 2)}\n`);
}

/** Slots recorded by the other labs under `root`'s .cairn/labs (reserved even while they are down). */
export function recordedSlots(root: string, except: string): Map<number, string> {
  const dir = labsDir(root);
  const slots = new Map<number, string>();
  if (!existsSync(dir)) return slots;
  for (const name of readdirSync(dir)) {
    if (name === except) continue;
    const r = readLabRecord(join(dir, name, 'lab.json'));
    if (r && !('problem' in r)) slots.set(r.slot, name);
  }
  return slots;
}

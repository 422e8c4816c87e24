/** The playbooks shipped with cairn (playbooks/*.yml), loaded and checked once per run. */
import { join } from 'node:path';
import { formatProblem } from '../config/problems.js';
import { UsageError } from '../errors.js';
import { loadPlaybooks, type Playbook } from '../plan/playbook.js';
import { packageRoot } from '../render/templates.js';
import { allServices } from '../services/index.js';

/** Loads the shipped playbooks; a broken one is reported like any input (file, line, key). */
export function shippedPlaybooks(): Playbook[] {
  const { playbooks, problems } = loadPlaybooks(join(packageRoot(), 'playbooks'), allServices.map((s) => s.name));
  if (problems.length > 0) throw new UsageError(`playbooks are invalid:\n${problems.map(formatProblem).join('\n')}`);
  return playbooks;
}

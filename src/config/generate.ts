/**
 * Writes a complete, commented answer file: every key cairn reads with its default and a
 * one-line explanation, fresh random passwords, and the toggles of services cairn does not
 * deploy set to n so that nobody wonders where Manila went.
 */
import { randomBytes } from 'node:crypto';
import { KEYS, KEY_BY_NAME, isGenerated } from './keys.js';
import { NOT_DEPLOYED_TOGGLES, ignoredGroupOf } from './packstack-keys.js';

/** A fresh password: 16 random bytes from the CSPRNG, hex (safe in URLs, shells and INI). */
export function generatePassword(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The text of an answer file. `settings` overrides values by key name (an unknown key is a
 * programming error and throws); `password` makes passwords (tests pass a fixed one).
 */
export function generateAnswerFile(settings: Record<string, string> = {}, password: () => string = generatePassword): string {
  for (const key of Object.keys(settings)) {
    if (!KEY_BY_NAME.has(key) && !NOT_DEPLOYED_TOGGLES.includes(key)) {
      throw new Error(`bug: generateAnswerFile: unknown key ${key}`);
    }
  }
  const lines: string[] = [
    '# cairn answer file (Packstack-compatible).',
    '# Edit the values, then: cairn validate --answer-file THIS_FILE',
    '# Passwords below were generated for this file only; keep it private (mode 0600).',
    '',
    '[general]',
  ];
  let group = '';
  for (const spec of KEYS) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `# ---- ${group} ----`);
    }
    const value = settings[spec.name] ?? (isGenerated(spec) ? password() : spec.default);
    lines.push('');
    lines.push(`# ${spec.doc}.`);
    lines.push(`# Expects: ${spec.expects}. Default: ${isGenerated(spec) ? '(generated)' : spec.default === '' ? '(empty)' : spec.default}`);
    lines.push(`${spec.name}=${value}`);
  }
  lines.push('', '# ---- Services cairn does not deploy yet (must stay n) ----');
  for (const toggle of NOT_DEPLOYED_TOGGLES) {
    lines.push('', `# ${capitalise(ignoredGroupOf(toggle)!.reason)}.`, `${toggle}=${settings[toggle] ?? 'n'}`);
  }
  return lines.join('\n') + '\n';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

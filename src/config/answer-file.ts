/**
 * Answer file -> typed values + problems. Knows keys, types, Packstack's leftovers and stray
 * characters; knows nothing about hosts or cross-key rules (deployment.ts does those).
 */
import { parseIni } from './ini.js';
import { KEYS, KEY_BY_NAME, PUPPET_FACT, type KeySpec } from './keys.js';
import { IGNORED_GROUPS, ignoredGroupOf, PW_PLACEHOLDER, type IgnoredGroup } from './packstack-keys.js';
import type { Problem } from './problems.js';
import { describeStray, findStrayCharacters } from './stray-characters.js';
import { didYouMean } from './did-you-mean.js';
import { parseYesNo } from './value-types.js';

/** Where a key was set. */
export interface KeySource {
  line: number;
  raw: string;
}

/** The typed content of an answer file. */
export interface AnswerValues {
  file: string;
  /** Typed value of every supported key (defaults filled); `per-host` for Puppet facts. */
  values: Map<string, unknown>;
  /** Keys the file set, with their lines (absent keys took their default). */
  sources: Map<string, KeySource>;
  /** Supported keys whose value did not parse (rules about them would only echo the error). */
  invalid: Set<string>;
  /** Secret keys whose value is empty or PW_PLACEHOLDER: they fall back to CONFIG_DEFAULT_PASSWORD. */
  unsetSecrets: Set<string>;
  problems: Problem[];
}

/** Value of a key given as a Puppet fact on a key that accepts one. */
export const PER_HOST = 'per-host';

/** Reads and types an answer file. Never throws on bad input. */
export function readAnswerFile(text: string, file: string): AnswerValues {
  const doc = parseIni(text, file);
  const problems = [...doc.problems];
  const values = new Map<string, unknown>();
  const sources = new Map<string, KeySource>();
  const unsetSecrets = new Set<string>();
  const invalid = new Set<string>();
  const ignored = new Map<IgnoredGroup, { line: number; keys: string[] }>();
  const report = (severity: Problem['severity'], line: number, key: string, message: string, column?: number): void => {
    problems.push({ severity, file, line, key, message, ...(column ? { column } : {}) });
  };

  // A file with no section header at all (keys copied out of a wiki page) gets one error for
  // the missing line, and its keys are read as [general] so their own problems show too.
  const headerless = doc.entries.length > 0 && doc.entries.every((e) => e.section === '');
  if (headerless) report('error', doc.entries[0]!.line, '[general]', 'the file has no [general] header; Packstack answer files start with a line [general] above the first key');
  for (const entry of doc.entries) {
    const { key, value: raw, line } = entry;
    if (entry.section !== 'general' && !headerless) {
      const where = entry.section === '' ? 'before any section header' : `in section [${entry.section}]`;
      report('error', line, key, `is ${where}; Packstack answer files keep every key in [general]`);
      continue;
    }
    const first = sources.get(key);
    if (first) {
      report('error', line, key, `is set twice (first on line ${first.line}); keep one`);
      continue;
    }
    sources.set(key, { line, raw });

    const spec = KEY_BY_NAME.get(key);
    if (spec) {
      const stray = findStrayCharacters(raw, entry.valueColumn)[0];
      if (stray) {
        // A look-alike in a password may be deliberate; anywhere else it breaks the value.
        report(spec.secret ? 'warning' : 'error', line, key, `value contains ${describeStray(stray)}`, stray.column);
        if (!spec.secret) {
          invalid.add(key);
          continue;
        }
      }
      readSupported(spec, raw, line);
      continue;
    }
    const group = ignoredGroupOf(key);
    if (group) {
      if (group.toggle === key && group.whenOn) {
        const on = parseYesNo(raw);
        if (!on.ok) report('error', line, key, on.message);
        else if (on.value) {
          const fix = group.whenOn === 'error' ? `; set ${key}=n` : '; ignored';
          report(group.whenOn, line, key, `${group.reason}${fix}`);
        }
        continue;
      }
      const seen = ignored.get(group) ?? { line, keys: [] };
      seen.keys.push(key);
      ignored.set(group, seen);
      continue;
    }
    const suggestion = didYouMean(key, [...KEY_BY_NAME.keys(), ...IGNORED_GROUPS.flatMap((g) => (g.toggle ? [g.toggle] : []))]);
    report('error', line, key, `unknown key${suggestion ? `; did you mean ${suggestion}?` : ' (not a Packstack or cairn key)'}`);
  }

  for (const [group, seen] of ignored) {
    const what = seen.keys.length === 1 ? `ignored` : `${seen.keys.length} keys ignored`;
    report('warning', seen.line, seen.keys.length === 1 ? seen.keys[0]! : group.label, `${what}: ${group.reason}`);
  }

  for (const spec of KEYS) {
    if (!values.has(spec.name) && !sources.has(spec.name)) {
      values.set(spec.name, defaultOf(spec));
      if (spec.secret) unsetSecrets.add(spec.name);
    }
  }
  return { file, values, sources, invalid, unsetSecrets, problems };

  function readSupported(spec: KeySpec, raw: string, line: number): void {
    if (spec.secret && (raw === '' || raw === PW_PLACEHOLDER)) {
      unsetSecrets.add(spec.name);
      values.set(spec.name, '');
      return;
    }
    if (PUPPET_FACT.test(raw)) {
      if (spec.perHost) values.set(spec.name, PER_HOST);
      else {
        const fallback = spec.default === '' ? 'no value' : `the default '${spec.default}'`;
        report('warning', line, spec.name, `${raw} is a Puppet fact Packstack filled in on each host; cairn uses ${fallback}`);
        values.set(spec.name, defaultOf(spec));
      }
      return;
    }
    if (raw === '') {
      values.set(spec.name, spec.list ? [] : defaultOf(spec));
      return;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) values.set(spec.name, parsed.value);
    else {
      invalid.add(spec.name);
      report('error', line, spec.name, parsed.message);
    }
  }
}

/** The typed default of a key (`undefined` when it has none). */
export function defaultOf(spec: KeySpec): unknown {
  if (spec.default === '') return spec.list ? [] : undefined;
  if (spec.perHost && PUPPET_FACT.test(spec.default)) return PER_HOST;
  const parsed = spec.parse(spec.default);
  if (!parsed.ok) throw new Error(`bug: default of ${spec.name} does not parse: ${parsed.message}`);
  return parsed.value;
}

/** Typed value of `key` (callers know its type from keys.ts). */
export function valueOf<T>(answers: AnswerValues, key: string): T {
  if (!KEY_BY_NAME.has(key)) throw new Error(`bug: ${key} is not a known key`);
  return answers.values.get(key) as T;
}

/** Line where `key` was set, or 0 when it took its default. */
export function lineOf(answers: AnswerValues, key: string): number {
  return answers.sources.get(key)?.line ?? 0;
}

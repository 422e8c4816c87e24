/**
 * Reads an INI answer file keeping the line and column of every entry.
 *
 * Why not the `ini` package: it drops positions (every message must name a line), and it
 * accepts a line without `=` as `key=true`, which is exactly the silent mistake we must report.
 * Packstack's answer files use the small subset read here: `[section]` headers, `KEY=VALUE`
 * entries, and `#` or `;` comment lines.
 */
import type { Problem } from './problems.js';
import { describeStray, findStrayCharacters } from './stray-characters.js';

/** One `KEY=VALUE` entry. */
export interface IniEntry {
  section: string;
  key: string;
  /** Value with surrounding white space removed. */
  value: string;
  line: number;
  /** 1-based column where the value starts. */
  valueColumn: number;
}

/** What the reader found: entries in file order, and problems with the file's syntax. */
export interface IniDocument {
  entries: IniEntry[];
  problems: Problem[];
}

const SECTION = /^\[([^\]]*)\]\s*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Control characters other than tab: never part of a value a service can use. */
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F]/;
/** The longest value read (a region, a password...): services cap theirs far lower. */
export const MAX_VALUE_LENGTH = 4096;

/** Removes ASCII blanks only: a trailing no-break space is the user's, and gets named. */
const trimBlanks = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** Parses `text` (the contents of `file`). Never throws on bad input. */
export function parseIni(text: string, file: string): IniDocument {
  const entries: IniEntry[] = [];
  const problems: Problem[] = [];
  const error = (line: number, key: string, message: string, column?: number): void => {
    problems.push({ severity: 'error', file, line, key, message, ...(column ? { column } : {}) });
  };
  let section = '';
  // Old Mac editors end lines with CR alone; Python, which Packstack runs on, reads those too.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = trimBlanks(raw);
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = SECTION.exec(trimmed);
    if (header) {
      section = header[1]!.trim();
      return;
    }
    const sep = raw.indexOf('=');
    if (sep < 0) {
      const stray = findStrayCharacters(raw).find((s) => s.meant === '=');
      const hint = stray ? `: found ${describeStray(stray)}` : '';
      error(line, trimmed.slice(0, 40), `expected KEY=VALUE${hint}`, stray?.column);
      return;
    }
    const keyText = trimBlanks(raw.slice(0, sep));
    const keyStart = raw.indexOf(keyText) + 1;
    const strayInKey = findStrayCharacters(keyText, columnOf(raw, keyStart));
    if (strayInKey.length > 0) {
      error(line, keyText, `key contains ${describeStray(strayInKey[0]!)}`, strayInKey[0]!.column);
      return;
    }
    if (!KEY.test(keyText)) {
      error(line, keyText || '(empty)', 'expected a key made of letters, digits and _ before "="');
      return;
    }
    const afterSep = raw.slice(sep + 1);
    const leading = afterSep.length - afterSep.replace(/^[ \t]+/, '').length;
    const value = trimBlanks(afterSep);
    const valueColumn = columnOf(raw, sep + 1 + leading + 1);
    const control = CONTROL.exec(value);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      error(line, keyText, `value contains the control character U+${code} at column ${valueColumn + [...value.slice(0, control.index)].length}; remove it`);
      return;
    }
    if (value.length > MAX_VALUE_LENGTH) {
      error(line, keyText, `value is ${value.length} characters long; cairn reads values of at most ${MAX_VALUE_LENGTH}`);
      return;
    }
    entries.push({ section, key: keyText, value, line, valueColumn });
  });
  return { entries, problems };
}

/** Converts a 1-based UTF-16 offset in `raw` into a 1-based column counted in code points. */
function columnOf(raw: string, utf16Column: number): number {
  return [...raw.slice(0, utf16Column - 1)].length + 1;
}

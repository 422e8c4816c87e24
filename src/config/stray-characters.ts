/**
 * Non-ASCII look-alikes of the punctuation answer files are made of. An input method left in
 * full-width mode types `，` for `,` and the value silently stops being a list; we name the
 * character and its column instead.
 */

/** Look-alike character -> [its name, the ASCII character the user almost certainly meant]. */
export const LOOKALIKES: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['\uFF0C', ['full-width comma', ',']],
  ['\u3001', ['ideographic comma', ',']],
  ['\uFE50', ['small comma', ',']],
  ['\uFF1A', ['full-width colon', ':']],
  ['\uFE55', ['small colon', ':']],
  ['\uFF1B', ['full-width semicolon', ';']],
  ['\uFF1D', ['full-width equals sign', '=']],
  ['\uFF0E', ['full-width full stop', '.']],
  ['\u3002', ['ideographic full stop', '.']],
  ['\uFF0F', ['full-width solidus', '/']],
  ['\uFF3B', ['full-width left square bracket', '[']],
  ['\uFF3D', ['full-width right square bracket', ']']],
  ['\uFF03', ['full-width number sign', '#']],
  ['\uFF3F', ['full-width low line', '_']],
  ['\uFF0D', ['full-width hyphen-minus', '-']],
  ['\u2010', ['hyphen', '-']],
  ['\u2011', ['non-breaking hyphen', '-']],
  ['\u2013', ['en dash', '-']],
  ['\u2014', ['em dash', '-']],
  ['\u2212', ['minus sign', '-']],
  ['\u2018', ['left single quotation mark', "'"]],
  ['\u2019', ['right single quotation mark', "'"]],
  ['\u201C', ['left double quotation mark', '"']],
  ['\u201D', ['right double quotation mark', '"']],
  ['\u00A0', ['no-break space', ' ']],
  ['\u3000', ['ideographic space', ' ']],
  ['\u200B', ['zero-width space', '']],
  ['\u200C', ['zero-width non-joiner', '']],
  ['\u200D', ['zero-width joiner', '']],
  ['\u2060', ['word joiner', '']],
  ['\u00AD', ['soft hyphen', '']],
  ['\uFEFF', ['zero-width no-break space (byte order mark)', '']],
]);

/** A look-alike found in a string. */
export interface StrayCharacter {
  /** 1-based column, counted in characters (code points), as editors show it. */
  column: number;
  char: string;
  name: string;
  meant: string;
}

/** The look-alike characters in `text`, with columns offset by `startColumn - 1`. */
export function findStrayCharacters(text: string, startColumn = 1): StrayCharacter[] {
  const found: StrayCharacter[] = [];
  let column = startColumn;
  for (const char of text) {
    const known = LOOKALIKES.get(char);
    if (known) found.push({ column, char, name: known[0], meant: known[1] });
    column++;
  }
  return found;
}

/** Describes a stray character for a message: `full-width comma '，' (U+FF0C)`. */
export function describeStray(s: StrayCharacter): string {
  const code = s.char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  const shown = /\s|[\u200B-\u200D\u2060\u00AD\uFEFF]/.test(s.char) ? '' : ` '${s.char}'`;
  const meant = s.meant === '' ? 'nothing' : s.meant === ' ' ? 'a plain space' : `'${s.meant}'`;
  return `${s.name}${shown} (U+${code}) at column ${s.column}; did you mean ${meant}?`;
}

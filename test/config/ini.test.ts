/** The INI reader and stray-character detection, by exact value. */
import test from 'ava';
import { parseIni } from '../../src/config/ini.js';
import { describeStray, findStrayCharacters } from '../../src/config/stray-characters.js';

test('reads entries with lines and value columns, skipping comments and blanks', (t) => {
  const doc = parseIni('\uFEFF# c\n[general]\n; other comment\nA=1\n  B = two words  \nC=\n', 'f.ini');
  t.deepEqual(doc.problems, []);
  t.deepEqual(doc.entries, [
    { section: 'general', key: 'A', value: '1', line: 4, valueColumn: 3 },
    { section: 'general', key: 'B', value: 'two words', line: 5, valueColumn: 7 },
    { section: 'general', key: 'C', value: '', line: 6, valueColumn: 3 },
  ]);
});

test('keeps = inside values and reads CRLF files', (t) => {
  const doc = parseIni('[general]\r\nURL=http://x/?a=b\r\n', 'f.ini');
  t.is(doc.entries[0]!.value, 'http://x/?a=b');
  t.is(doc.entries[0]!.line, 2);
});

test('reports a line without = and names a full-width equals sign', (t) => {
  const doc = parseIni('[general]\nJUNK\nKEY\uFF1Dv\n', 'f.ini');
  t.deepEqual(
    doc.problems.map((p) => [p.line, p.column, p.message]),
    [
      [2, undefined, 'expected KEY=VALUE'],
      [3, 4, "expected KEY=VALUE: found full-width equals sign '\uFF1D' (U+FF1D) at column 4; did you mean '='?"],
    ],
  );
});

test('counts columns in characters, not UTF-16 units', (t) => {
  // The emoji takes two UTF-16 units but one column.
  const [s] = findStrayCharacters('\u{1F600}a\uFF0Cb');
  t.is(s!.column, 3);
  t.is(describeStray(s!), "full-width comma '\uFF0C' (U+FF0C) at column 3; did you mean ','?");
});

test('names invisible look-alikes without printing them', (t) => {
  const [s] = findStrayCharacters('a\u00A0b');
  t.is(describeStray(s!), 'no-break space (U+00A0) at column 2; did you mean a plain space?');
});

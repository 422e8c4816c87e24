/** The initramfs archive writer: the newc layout the kernel reads, read back field by field. */
import test from 'ava';
import { writeCpio, type CpioEntry } from '../../src/guest/cpio.js';

interface Read {
  name: string;
  mode: number;
  nlink: number;
  data: string;
}

/** A strict newc reader: magic, 4-byte alignment of names and data, the trailer. */
function readCpio(buf: Buffer): Read[] {
  const out: Read[] = [];
  let at = 0;
  for (;;) {
    if (buf.subarray(at, at + 6).toString('ascii') !== '070701') throw new Error(`no newc magic at ${at}`);
    const field = (i: number): number => parseInt(buf.subarray(at + 6 + i * 8, at + 14 + i * 8).toString('ascii'), 16);
    const [mode, nlink, size, nameSize] = [field(1), field(4), field(6), field(11)];
    const name = buf.subarray(at + 110, at + 110 + nameSize - 1).toString('utf8');
    if (buf[at + 110 + nameSize - 1] !== 0) throw new Error('name not NUL-terminated');
    let data = at + 110 + nameSize;
    if (data % 4 !== 0) data += 4 - (data % 4);
    const next = data + size + ((4 - (size % 4)) % 4);
    if (name === 'TRAILER!!!') {
      if (next !== buf.length) throw new Error('bytes after the trailer');
      return out;
    }
    out.push({ name, mode, nlink, data: buf.subarray(data, data + size).toString('utf8') });
    at = next;
  }
}

const entries: CpioEntry[] = [
  { kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  { kind: 'dir', path: 'bin' },
  { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
  { kind: 'file', path: 'bin/busybox', data: Buffer.from('ELF?') },
  { kind: 'file', path: 'etc/x', data: Buffer.from('odd length!') },
  { kind: 'dir', path: 'etc' },
];

test('entries come back in path order with their types, modes, link targets and contents', (t) => {
  const read = readCpio(writeCpio(entries));
  t.deepEqual(
    read.map((r) => [r.name, r.mode.toString(8), r.nlink, r.data]),
    [
      ['bin', '40755', 2, ''],
      ['bin/busybox', '100644', 1, 'ELF?'],
      ['bin/sh', '120777', 1, 'busybox'],
      ['etc', '40755', 2, ''],
      ['etc/x', '100644', 1, 'odd length!'],
      ['init', '100755', 1, '#!/bin/sh\n'],
    ],
  );
});

test('the same entries in any order give the same bytes; absolute paths are a bug', (t) => {
  t.deepEqual(writeCpio(entries), writeCpio([...entries].reverse()));
  t.throws(() => writeCpio([{ kind: 'dir', path: '/etc' }]), { message: /must be relative/ });
});

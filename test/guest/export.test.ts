/** `cairn images guest --out DIR`: the copies go only into DIR, refusing what is in the way. */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { exportGuestImage, type GuestImage } from '../../src/guest/guest-image.js';

function fakeImage(): { image: GuestImage; top: string } {
  const top = mkdtempSync(join(tmpdir(), 'cairn-guest-export-'));
  const dir = join(top, 'cache');
  mkdirSync(dir);
  for (const f of ['vmlinuz', 'initrd.img', 'manifest.json']) writeFileSync(join(dir, f), `${f}\n`);
  const manifest = { builder: 1, kernelRelease: 'x', packages: [], modules: [], files: { kernel: { bytes: 0, sha256: '' }, initrd: { bytes: 0, sha256: '' } } };
  return { top, image: { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), manifest, cached: true } };
}

test('copies the three files into a new directory, 0644', (t) => {
  const { image, top } = fakeImage();
  const out = join(top, 'a', 'b');
  t.deepEqual(exportGuestImage(image, out), ['vmlinuz', 'initrd.img', 'manifest.json'].map((f) => join(out, f)));
  t.is(readFileSync(join(out, 'initrd.img'), 'utf8'), 'initrd.img\n');
  t.is(statSync(join(out, 'vmlinuz')).mode & 0o777, 0o644);
});

test('a path under a file, /proc, or a link planted in DIR: a usage error, nothing written elsewhere', (t) => {
  const { image, top } = fakeImage();
  writeFileSync(join(top, 'file'), 'x');
  t.throws(() => exportGuestImage(image, join(top, 'file', 'sub')), { instanceOf: UsageError, message: /--out .*file\/sub: a part of the path is a file, not a directory/ });
  t.throws(() => exportGuestImage(image, '/proc/cairn-guest-test'), { instanceOf: UsageError, message: /cannot create/ });
  const out = join(top, 'out');
  mkdirSync(out);
  writeFileSync(join(top, 'precious'), 'mine\n');
  symlinkSync(join(top, 'precious'), join(out, 'vmlinuz'));
  t.throws(() => exportGuestImage(image, out), { instanceOf: UsageError, message: /symbolic link/ });
  t.is(readFileSync(join(top, 'precious'), 'utf8'), 'mine\n');
});

/**
 * The batch compiler against this machine's real Debian py3compile and dpkg (Debian 12, as the
 * lab's hosts): it must load bookworm's py3compile and compile a real package's files, or the
 * queue would fall back to one py3compile per package on every host without anyone noticing.
 * Needs python3-oslo.config installed (scripts/install-external-checkers.sh installs it).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchCompiler, COMPILE_QUEUE_PATHS } from '../../src/apply/compile-queue.js';

const { python, py3compile } = COMPILE_QUEUE_PATHS;
const PACKAGE = 'python3-oslo.config';

function queue(jobs: string[][]): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-batch-'));
  writeFileSync(join(dir, 'batch.py'), batchCompiler());
  const files = jobs.map((args, i) => {
    const file = join(dir, `job-${i}`);
    writeFileSync(file, args.map((a) => `${a}\0`).join(''));
    return file;
  });
  return { dir, files };
}

function batch(dir: string, files: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(python, [join(dir, 'batch.py'), py3compile, ...files], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

/** A module of the package and where Python keeps its byte code. */
function moduleOf(pkg: string): { source: string; cache: string } {
  const list = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${pkg} is not installed: ${list.stderr}`);
  const source = list.stdout.split('\n').find((l) => /\/dist-packages\/.*\/cfg\.py$/.test(l));
  if (!source) throw new Error(`no cfg.py in ${pkg}`);
  const cache = spawnSync(
    python,
    [
      '-c',
      'import importlib.util, sys; print(importlib.util.cache_from_source(sys.argv[1]))',
      source,
    ],
    { encoding: 'utf8' },
  ).stdout.trim();
  return { source, cache };
}

test.serial(
  "batch compiler: compiles a real package's files with bookworm's py3compile and removes its job",
  (t) => {
    t.true(existsSync(py3compile), `${py3compile} is missing`);
    const { cache } = moduleOf(PACKAGE);
    rmSync(cache, { force: true });
    const { dir, files } = queue([['-p', PACKAGE]]);
    const r = batch(dir, files);
    t.is(r.code, 0, r.stderr);
    t.false(existsSync(files[0]!));
    t.true(existsSync(cache), `${cache} was not written`);
    const magic = spawnSync(
      python,
      ['-c', 'import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())'],
      {
        encoding: 'utf8',
      },
    ).stdout;
    t.is(readFileSync(cache).subarray(0, 4).toString('hex'), magic);
  },
);

test.serial(
  'batch compiler: a package dpkg does not know fails the batch and removes no job',
  (t) => {
    const { dir, files } = queue([
      ['-p', PACKAGE],
      ['-p', 'python3-cairn-no-such-package'],
    ]);
    const r = batch(dir, files);
    t.not(r.code, 0);
    t.true(files.every((f) => existsSync(f)));
  },
);

test.serial(
  'batch compiler: leaves a job with more than a package name to py3compile itself',
  (t) => {
    const { dir, files } = queue([['-p', PACKAGE, '/usr/share/cairn-private']]);
    const r = batch(dir, files);
    t.is(r.code, 0, r.stderr);
    t.true(existsSync(files[0]!));
  },
);

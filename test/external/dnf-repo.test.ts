/**
 * Real check of the rendered RHEL-family /etc/yum.repos.d/cairn.repo: a local RPM repository
 * (one trivial package built with rpmbuild, indexed by createrepo_c) and Debian's real `dnf`
 * reading it through the rendered file alone. Negative checks prove the test can fail: a .repo
 * without section headers and a baseurl that is not a repository are both rejected, and
 * gpgcheck=1 as rendered makes dnf refuse the unsigned package.
 *
 * Installs what it needs first (scripts/install-external-checkers.sh), so it is never skipped.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../../src/config/model.js';
import { renderFiles } from '../../src/render/render-files.js';
import { packageRoot } from '../../src/render/templates.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const root = packageRoot();
const work = mkdtempSync(join(tmpdir(), 'cairn-dnf-'));
const repoDir = join(work, 'repo');

const SPEC = `Name: cairn-probe
Version: 1.0
Release: 1
Summary: Probe package for cairn's repository test
License: Apache-2.0
BuildArch: noarch

%description
Empty package: proves dnf read the repository's package list.

%files
`;

function rhelDeployment(urls: string[], gpgcheck: boolean): Deployment {
  const base = exampleDeployment();
  return {
    ...base,
    hosts: base.hosts.map((h) => ({ ...h, osFamily: 'rhel' as const })),
    repos: { ...base.repos, urls, gpgcheck },
  };
}

/** The cairn.repo rendered for cmp1 of a RHEL deployment with `urls`. */
function renderedRepo(urls: string[], gpgcheck = false): string {
  const f = renderFiles(rhelDeployment(urls, gpgcheck), allServices).find(
    (x) => x.host === 'cmp1' && x.path === '/etc/yum.repos.d/cairn.repo',
  );
  if (!f) throw new Error('cairn.repo was not rendered');
  return f.content;
}

let case_ = 0;
/** Runs dnf with only `repoContent` as its repository configuration, in a fresh install root. */
function dnf(repoContent: string, args: string[]): { code: number; out: string } {
  const dir = join(work, `case-${++case_}`);
  mkdirSync(join(dir, 'repos.d'), { recursive: true });
  writeFileSync(join(dir, 'repos.d', 'cairn.repo'), repoContent);
  const r = spawnSync(
    'dnf',
    [
      '-y',
      `--installroot=${join(dir, 'root')}`,
      `--setopt=reposdir=${join(dir, 'repos.d')}`,
      `--setopt=cachedir=/cache`,
      // Unreachable repositories are errors, not warnings.
      '--setopt=skip_if_unavailable=False',
      '--disablerepo=*',
      '--enablerepo=cairn-*',
      '--releasever=9',
      ...args,
    ],
    { encoding: 'utf8' },
  );
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test.before(() => {
  execFileSync('sh', [join(root, 'scripts', 'install-external-checkers.sh')], { stdio: 'inherit' });
  const top = join(work, 'rpmbuild');
  writeFileSync(join(work, 'probe.spec'), SPEC);
  execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', '_build_id_links none', join(work, 'probe.spec')], {
    stdio: 'pipe',
  });
  mkdirSync(repoDir);
  const rpms = join(top, 'RPMS', 'noarch');
  for (const name of readdirSync(rpms)) copyFileSync(join(rpms, name), join(repoDir, name));
  execFileSync('createrepo_c', [repoDir], { stdio: 'pipe' });
});

test.after.always(() => {
  rmSync(work, { recursive: true, force: true });
});

test('dnf reads the local repository through the rendered cairn.repo', (t) => {
  const repo = renderedRepo([`file://${repoDir}`]);
  t.log(repo);
  const cache = dnf(repo, ['makecache']);
  t.log(`dnf makecache: exit ${cache.code}`);
  t.is(cache.code, 0, cache.out);

  const list = dnf(repo, ['-v', 'repolist']);
  t.log(`dnf -v repolist: exit ${list.code}`);
  t.is(list.code, 0, list.out);
  t.regex(list.out, /^Repo-id\s*: cairn-1$/m);
  t.regex(list.out, /^Repo-pkgs\s*: 1$/m);

  const query = dnf(repo, ['repoquery', '--available', '--qf', '%{name}-%{version}-%{release}.%{arch} %{repoid}']);
  t.log(`dnf repoquery: exit ${query.code}`);
  t.is(query.code, 0, query.out);
  t.regex(query.out, /^cairn-probe-1\.0-1\.noarch cairn-1$/m);
});

test('gpgcheck=0 as rendered installs the unsigned package; gpgcheck=1 makes dnf refuse it', (t) => {
  const unsigned = dnf(renderedRepo([`file://${repoDir}`], false), ['install', 'cairn-probe']);
  t.log(`install with gpgcheck=0: exit ${unsigned.code}`);
  t.is(unsigned.code, 0, unsigned.out);
  const signed = dnf(renderedRepo([`file://${repoDir}`], true), ['install', 'cairn-probe']);
  t.log(`install with gpgcheck=1: exit ${signed.code}`);
  t.not(signed.code, 0);
  t.regex(signed.out, /GPG keys/);
});

test('the check can fail: a broken .repo and a baseurl that is no repository are rejected', (t) => {
  // Without its [cairn-N] headers the file defines no repository at all.
  const headless = renderedRepo([`file://${repoDir}`]).replace(/^\[cairn-\d+\]\n/gm, '');
  const broken = dnf(headless, ['makecache']);
  t.log(`makecache with a headless .repo: exit ${broken.code}`);
  t.not(broken.code, 0);
  t.regex(broken.out, /failed loading|Unknown repo/);

  const empty = join(work, 'not-a-repo');
  mkdirSync(empty);
  const missing = dnf(renderedRepo([`file://${empty}`]), ['makecache']);
  t.log(`makecache with a baseurl that is not a repository: exit ${missing.code}`);
  t.not(missing.code, 0);
  t.regex(missing.out, /Failed to download metadata for repo 'cairn-1'/);
});

test('two URLs give two repositories dnf both reads', (t) => {
  const second = join(work, 'repo2');
  mkdirSync(second);
  execFileSync('createrepo_c', [second], { stdio: 'pipe' });
  const r = dnf(renderedRepo([`file://${repoDir}`, `file://${second}`]), ['-v', 'repolist']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /^Repo-id\s*: cairn-1$/m);
  t.regex(r.out, /^Repo-id\s*: cairn-2$/m);
});

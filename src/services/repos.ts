/**
 * Extra package repositories (CONFIG_REPO) on every host, before any package is installed.
 * Debian gets one deb822 apt source; the RHEL family gets one yum/dnf .repo file with a section
 * per URL. Nothing is rendered when no extra repository is configured, so a host's own sources
 * stay the only ones. With CAIRN_APT_PROXY, Debian hosts also fetch through that proxy (a
 * package cache such as apt-cacher-ng: the archive is read once for all hosts).
 */
import type { OsFamily } from '../config/model.js';
import { hasCredentials } from '../config/value-types.js';
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
import type { CommandStep, FileStep } from './steps.js';

/** apt's proxy setting, read by every apt run after it. */
export const APT_PROXY_FILE = '/etc/apt/apt.conf.d/01cairn-proxy';

/** Repository ids in the .repo file are `cairn-1`, `cairn-2`, ... in the order the URLs were given. */
export const REPO_ID_PREFIX = 'cairn-';

/** The package manager reads every repository; it runs when one of `files` changed. */
export function verifyReposStep(os: OsFamily, files: readonly FileStep[]): CommandStep {
  return {
    kind: 'command',
    id: 'command:verify-repos',
    title: 'package manager reads every repository',
    phase: 'repos',
    // --error-on=any: apt otherwise only warns when a source cannot be fetched.
    argv: os === 'debian' ? ['apt-get', 'update', '--error-on=any'] : ['dnf', 'makecache', '--disablerepo=*', '--enablerepo=cairn-*'],
    onChange: files.map((f) => f.id),
    timeoutMs: 300_000,
  };
}

/** Extra apt/yum repositories from CONFIG_REPO, on every host. */
export const repos: ServiceDescriptor = {
  name: 'repos',
  enabled: (d) => d.repos.urls.length > 0 || d.repos.aptProxy !== '',
  // Repositories are files only: no unit runs, and package managers read them on their next run.
  components: [],
  roles: ['control', 'network', 'compute'],
  // Before the packages phase, which installs from them.
  filesPhase: 'repos',
  files: ({ deployment: d, os }) => {
    const proxy: FileSpec[] =
      os === 'debian' && d.repos.aptProxy !== ''
        ? [
            {
              path: APT_PROXY_FILE,
              template: 'repos/apt-proxy.conf.hbs',
              mode: hasCredentials(d.repos.aptProxy) ? '0600' : '0644',
              owner: 'root',
              group: 'root',
              restarts: [],
              view: { proxy: d.repos.aptProxy },
            },
          ]
        : [];
    const urls = d.repos.urls;
    if (urls.length === 0) return proxy;
    // A user:password@ in a URL is a credential: only root may read the file then.
    const mode = urls.some(hasCredentials) ? '0600' : '0644';
    if (os === 'debian') {
      return [
        ...proxy,
        {
          path: '/etc/apt/sources.list.d/cairn.sources',
          template: 'repos/cairn.sources.hbs',
          mode,
          owner: 'root',
          group: 'root',
          restarts: [],
          view: {
            uris: urls.join(' '),
            suite: d.repos.aptSuite,
            components: d.repos.aptComponents.join(' '),
            // gpgcheck off means the repository is unsigned; apt refuses unsigned sources unless
            // they are marked trusted.
            trusted: !d.repos.gpgcheck,
          },
        },
      ];
    }
    return [
      {
        path: '/etc/yum.repos.d/cairn.repo',
        template: 'repos/cairn.repo.hbs',
        mode,
        owner: 'root',
        group: 'root',
        restarts: [],
        view: {
          repos: urls.map((url, i) => ({
            id: `${REPO_ID_PREFIX}${i + 1}`,
            name: `cairn repository ${i + 1}`,
            baseurl: url,
          })),
          gpgcheck: d.repos.gpgcheck ? '1' : '0',
        },
      },
    ];
  },
  hostSteps: {
    // A broken repository fails here, naming itself, rather than later as a missing package.
    repos: ({ os, files }) => (files.length > 0 ? [verifyReposStep(os, files)] : []),
  },
};

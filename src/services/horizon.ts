/**
 * Horizon, the dashboard, on the control host in Apache with mod_wsgi. Debian serves it at /
 * (openstack-dashboard-apache's vhost), RDO at /dashboard. Both vhosts run Horizon in a daemon
 * process with `WSGIApplicationGroup %{GLOBAL}`: without it mod_wsgi runs Horizon in a Python
 * sub-interpreter, where C extensions it imports hang or fail (a real lab's dashboard broke so).
 */
import type { Deployment, OsFamily } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { ServiceDescriptor } from './descriptor.js';
import { keystoneUrl, memcacheServer, pyString, pyStringList, webServerGroup, webServerUnit, workerCount } from './common.js';
// shQuote, not common.ts's shellQuote: the dashboard check's script stays byte for byte what
// verify sent before the check moved here (a plain URL goes unquoted).
import { shQuote } from '../transport/quote.js';
import { containerLogs, lastLines, type ApiCheck, type ApiCheckContext } from './api-checks.js';
import type { ContainerDef } from './container-def.js';

/** cairn's WEBROOT, after Debian's own local_settings.d file that moves it to /horizon. */
const DEBIAN_WEBROOT_OVERRIDE = '/etc/openstack-dashboard/local_settings.d/_0100_cairn_webroot.py';

/** Where Debian keeps Horizon's manage.py and the static files it builds. */
const DEBIAN_DASHBOARD = { managePy: '/usr/share/openstack-dashboard/manage.py', staticDir: '/var/lib/openstack-dashboard/static' };

/** How many times the compress runs before the step fails (see rebuildStaticScript). */
export const COMPRESS_TRIES = 3;

/**
 * Debian's own rebuild of Horizon's static files (its postinst runs it when WEBROOT changes):
 * the offline-compressed CSS and JS embed WEBROOT, and a page whose compressed block is not in
 * the manifest answers 500. 17 s on the lab's control node.
 *
 * The compress is tried up to COMPRESS_TRIES times: pyScss, which compiles Horizon's SCSS,
 * fails now and then on the same input ("Syntax error: Found 'inline-blo' ... rendering
 * serial_console.html"; 1 of 40 runs on one lab node, with that run's hash seed passing three
 * times after, and 2 of about 40 compress runs in a day's deploys), which failed a CI run.
 * Every failed try's output stays in the host's log; collectstatic is not retried.
 */
export function rebuildStaticScript(paths: { managePy: string; staticDir: string } = DEBIAN_DASHBOARD): string {
  return [
    'set -e',
    `${paths.managePy} collectstatic --noinput --clear >/dev/null`,
    `n=1; until ${paths.managePy} compress --force; do`,
    `  [ $n -lt ${COMPRESS_TRIES} ] || { echo "cairn: compress failed ${COMPRESS_TRIES} times" >&2; exit 1; }`,
    `  n=$((n + 1)); echo "cairn: compress failed; try $n of ${COMPRESS_TRIES} (pyScss fails now and then on the same files)" >&2`,
    'done',
    `chown -R www-data ${paths.staticDir}`,
  ].join('\n');
}

/**
 * Where the dashboard is served: `/` on Debian in packages mode (cairn's WEBROOT file and
 * Debian's static rebuild, see the bootstrap), Debian's `/horizon/` in containers mode, whose
 * image keeps the static files Debian's postinst compressed for it (they embed WEBROOT; baking
 * a rebuild for `/` into the image failed its build in CI); RDO's `/dashboard/` on RHEL.
 */
export function webRoot(d: Deployment, os: OsFamily): string {
  if (os !== 'debian') return '/dashboard/';
  return d.mode === 'containers' ? '/horizon/' : '/';
}

/** The local_settings view-model: every Python literal is computed (and escaped) here. */
export function localSettingsView(d: Deployment, os: OsFamily): Record<string, unknown> {
  const ctrl = controllerOf(d);
  return {
    debug: d.debug ? 'True' : 'False',
    webroot: pyString(webRoot(d, os)),
    // Packstack's choice: the dashboard is reached through addresses and names cairn cannot
    // know (NAT, DNS aliases), and Horizon sends no mail that a forged Host header could abuse.
    allowedHosts: pyStringList(['*']),
    secretKey: pyString(d.horizon.secretKey),
    openstackHost: pyString(ctrl.address),
    keystoneUrl: pyString(keystoneUrl(d)),
    defaultDomain: pyString('Default'),
    defaultRole: pyString('member'),
    memcacheLocation: pyString(memcacheServer(d)),
    // Served over plain HTTP unless horizon.ssl; secure cookies would then never be sent back.
    secureCookies: d.horizon.ssl ? 'True' : 'False',
  };
}

/** The Apache site the dashboard's vhost is (Debian's openstack-dashboard-apache name). */
const DASHBOARD_SITE = '/etc/apache2/sites-available/openstack-dashboard.conf';

/**
 * Horizon in Debian's Apache with mod_wsgi (as packages mode runs it). Apache starts as root,
 * binds port 80 and runs the dashboard as www-data, Debian's own user (id 33 in every Debian
 * system), which reads local_settings.py through its group.
 */
const horizonContainer: ContainerDef = {
  name: 'horizon',
  // The packages-mode step (Debian's site links) is done in the image (imageSetup).
  steps: 'none',
  packages: ['openstack-dashboard-apache', 'python3-pymemcache'],
  user: { name: 'www-data', uid: 33, gid: 33, home: '/var/www', system: true },
  configLinks: ['/etc/openstack-dashboard/local_settings.py', DASHBOARD_SITE],
  // Not packages mode's WEBROOT file (see imageSetup).
  files: ['/etc/openstack-dashboard/local_settings.py', DASHBOARD_SITE],
  // The dashboard site is the one site: the default site would answer port 80 first, the
  // package's default-ssl needs mod_ssl and the alias-only site maps the dashboard twice.
  // Debian's WEBROOT /horizon, as its package compressed the static files for (see webRoot).
  imageSetup: `rm -f /etc/apache2/sites-enabled/*.conf && ln -s ${DASHBOARD_SITE} /etc/apache2/sites-enabled/openstack-dashboard.conf`,
  // apache2ctl would stay as the parent shell and not pass docker's SIGTERM on: Apache itself,
  // with the environment Debian's envvars sets, is PID 1.
  command: ['sh', '-c', '. /etc/apache2/envvars && mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR" && exec apache2 -DFOREGROUND'],
  root: true,
  health: { kind: 'http', port: 80, path: '/horizon/auth/login/' },
  data: [],
  overlapOnUpgrade: false,
};

/** The dashboard's URL, as users open it: Debian's site at / (in containers mode / redirects to the web root). */
export function dashboardUrl(d: Deployment): string {
  return `${dashboardOrigin(d)}${controllerOf(d).osFamily === 'debian' ? '/' : '/dashboard/'}`;
}

/** The dashboard's web root as a URL (Horizon's pages are under it: Tempest's dashboard_url). */
export function dashboardRootUrl(d: Deployment): string {
  return `${dashboardOrigin(d)}${webRoot(d, controllerOf(d).osFamily)}`;
}

function dashboardOrigin(d: Deployment): string {
  const ctrl = controllerOf(d);
  const host = ctrl.address.includes(':') ? `[${ctrl.address}]` : ctrl.address;
  return `${d.horizon.ssl ? 'https' : 'http'}://${host}`;
}

/** Horizon's API check: the login page answers 200 (Django, sessions and memcached work). */
function horizonApiChecks({ deployment: d }: ApiCheckContext): ApiCheck[] {
  // The URL the deploy prints, as a browser opens it: redirects followed to a page with the
  // login form (a login URL outside the site's root answers 404 after the redirect).
  const url = dashboardUrl(d);
  const script = "import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=20); print(r.status, r.url, 'login-form' if b'id_username' in r.read() else 'no-login-form')";
  return [
    {
      id: 'dashboard',
      script: `python3 -c ${shQuote(script)} ${shQuote(url)}`,
      judge: (out, code) => {
        const [status, landed, form] = out.trim().split(/\s+/);
        return { ok: code === 0 && status === '200' && form === 'login-form', detail: code === 0 ? `${url} answered ${status} at ${landed}${form === 'login-form' ? ' with the login form' : ' without a login form'}` : lastLines(out) };
      },
      hint: 'on the control host: /var/log/apache2/error.log and /var/log/openstack-dashboard/ (httpd on RHEL); WEBROOT in local_settings',
      containersHint: () => `on the control host: ${containerLogs('horizon')}; docker exec cairn-horizon tail /var/log/openstack-dashboard/error.log`,
    },
  ];
}

/** Horizon (dashboard) in Apache on the control host. */
export const horizon: ServiceDescriptor = {
  name: 'horizon',
  enabled: (d) => d.services.horizon,
  components: [
    {
      name: 'horizon',
      role: 'control',
      unit: { debian: 'apache2', rhel: 'httpd' },
      // PyMemcacheCache is Django's maintained memcached backend (MemcachedCache is deprecated).
      packages: {
        debian: ['openstack-dashboard-apache', 'python3-pymemcache'],
        rhel: ['openstack-dashboard', 'python3-pymemcache'],
      },
      ports: [80],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const unit = webServerUnit(os);
    return [
      {
        path: os === 'debian' ? '/etc/openstack-dashboard/local_settings.py' : '/etc/openstack-dashboard/local_settings',
        template: 'horizon/local_settings.py.hbs',
        // SECRET_KEY signs sessions: readable by Apache's group only.
        mode: '0640',
        owner: 'root',
        group: webServerGroup(os),
        restarts: [unit],
        view: localSettingsView(d, os),
      },
      ...(os === 'debian' && d.mode === 'packages'
        ? [
            {
              // Debian's local_settings.d/_0005_debian_webroot.py, read after local_settings.py,
              // sets WEBROOT to /horizon, so the login redirect left the site (404). Read after it.
              path: DEBIAN_WEBROOT_OVERRIDE,
              template: 'horizon/webroot.py.hbs',
              mode: '0644',
              owner: 'root',
              group: 'root',
              restarts: [unit],
              view: { webroot: localSettingsView(d, os).webroot },
            },
          ]
        : []),
      {
        path:
          os === 'debian'
            ? '/etc/apache2/sites-available/openstack-dashboard.conf'
            : '/etc/httpd/conf.d/openstack-dashboard.conf',
        template: os === 'debian' ? 'horizon/apache-debian.conf.hbs' : 'horizon/apache-rhel.conf.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: [unit],
        view: {
          // The WSGI mount is the web root; a root elsewhere gets a redirect from /.
          mount: webRoot(d, os) === '/' ? '/' : webRoot(d, os).replace(/\/$/, ''),
          redirectRoot: webRoot(d, os) === '/' ? false : webRoot(d, os),
          logLevel: d.debug ? 'debug' : 'warn',
          // mod_wsgi has no "one per CPU" setting: per-host leaves its default (one process).
          setProcesses: workerCount(d) !== undefined,
          processes: workerCount(d) ?? 0,
        },
      },
    ];
  },
  bootstrap: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name || os !== 'debian') return [];
    // Debian's Apache serves only enabled sites. Ours is the one site: the default site would
    // answer first on port 80, the package's default-ssl needs mod_ssl (Apache then refuses to
    // start) and its alias-only site maps the dashboard a second time.
    const enabled = '/etc/apache2/sites-enabled';
    const others = ['000-default', 'default-ssl', 'openstack-dashboard-alias-only'];
    const webroot = localSettingsView(d, os).webroot as string;
    return [
      {
        name: 'static',
        title: `dashboard static files built for WEBROOT ${webroot}`,
        when: 'before-start',
        argv: ['sh', '-c', rebuildStaticScript()],
        // Stamped: runs once, and again when the WEBROOT it was built for changes.
        inputs: [`WEBROOT ${webroot}`],
        // It needs only the package and the dashboard's files (Django's compress runs without
        // memcached: checked on the lab's controller with memcached stopped), so it runs in the
        // background lane beside the other services' start, not in the dashboard's turn (28 to
        // 35 s of a first deploy, CPU-bound); the dashboard's site step waits for it.
        early: true,
        timeoutMs: 600_000,
        restarts: ['apache2'],
      },
      {
        name: 'site',
        title: 'apache serves the dashboard site only',
        when: 'before-start',
        argv: ['sh', '-c', `for s in ${others.join(' ')}; do [ ! -e ${enabled}/$s.conf ] || a2dissite -q $s || exit 1; done; a2ensite -q openstack-dashboard`],
        unless: ['sh', '-c', [`test -e ${enabled}/openstack-dashboard.conf`, ...others.map((s) => `test ! -e ${enabled}/${s}.conf`)].join(' && ')],
        restarts: ['apache2'],
      },
    ];
  },
  containers: [horizonContainer],
  apiChecks: horizonApiChecks,
};

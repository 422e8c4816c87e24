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

/** The local_settings view-model: every Python literal is computed (and escaped) here. */
export function localSettingsView(d: Deployment, os: OsFamily): Record<string, unknown> {
  const ctrl = controllerOf(d);
  return {
    debug: d.debug ? 'True' : 'False',
    webroot: pyString(os === 'debian' ? '/' : '/dashboard/'),
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
    return [
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
};

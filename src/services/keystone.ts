/**
 * Keystone, the identity service, on the control host. Debian runs it under uwsgi as
 * keystone.service (port 5000); the RHEL family runs it in httpd through mod_wsgi, so there
 * cairn also writes the vhost.
 */
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import { CATALOG_SCRIPT_PATH, catalogSpec, httpReady, migration, runAs } from './bootstrap-commands.js';
import { ADMIN_HINT, containerLogs, containersShell, lastLines, missing, parseJson, type ApiCheck } from './api-checks.js';
import { hostDataDir, uwsgi, type ContainerDef } from './container-def.js';

import {
  KEYSTONE_PORT,
  SERVICE_GROUP,
  databaseUrl,
  iniBool,
  iniValue,
  keystoneUrl,
  memcacheServer,
  urlHost,
  uwsgiDefaults,
  workerCount,
} from './common.js';

/** Keystone under uwsgi; fernet and credential keys on the host (they must survive upgrades). */
const keystoneContainer: ContainerDef = {
  name: 'keystone',
  // The client runs here in containers mode (verify's API checks, provisioning); heat's plugin
  // gives it `openstack stack` for heat's check.
  packages: ['keystone', 'python3-openstackclient', 'python3-heatclient'],
  user: { name: 'keystone', uid: 42425, gid: 42425, home: '/var/lib/keystone' },
  configLinks: ['/etc/keystone/keystone.conf'],
  refreshSteps: ['catalog'],
  command: uwsgi('/usr/bin/keystone-wsgi-public', KEYSTONE_PORT),
  // The version document: unauthenticated, answered by keystone itself (not just uwsgi).
  health: { kind: 'http', port: KEYSTONE_PORT, path: '/v3' },
  data: [
    // Read-only for the service; the one-shot setup containers write them (see desired.ts).
    { host: `${hostDataDir('keystone')}/fernet-keys`, container: '/etc/keystone/fernet-keys', readOnly: true },
    { host: `${hostDataDir('keystone')}/credential-keys`, container: '/etc/keystone/credential-keys', readOnly: true },
  ],
  overlapOnUpgrade: true,
};

/** A Python snippet that GETs every catalog endpoint and prints [{service, interface, url, status}]. */
const ENDPOINTS_SCRIPT = `openstack endpoint list -f json | python3 -c '
import json, sys, urllib.request, urllib.error
out = []
for e in json.load(sys.stdin):
    try:
        status = urllib.request.urlopen(e["URL"], timeout=10).status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception as err:
        status = str(err)
    out.append({"service": e["Service Type"], "interface": e["Interface"], "url": e["URL"], "status": status})
print(json.dumps(out))
'`;

/** Keystone (identity) on the control host. */
export const keystone: ServiceDescriptor = {
  name: 'keystone',
  enabled: () => true,
  components: [
    {
      name: 'keystone',
      role: 'control',
      unit: { debian: 'keystone', rhel: 'httpd' },
      // The client registers services and endpoints after `keystone-manage bootstrap`.
      packages: {
        debian: ['keystone', 'python3-openstackclient'],
        rhel: ['openstack-keystone', 'httpd', 'python3-mod_wsgi', 'python3-openstackclient'],
      },
      ports: [KEYSTONE_PORT],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const unit = os === 'debian' ? 'keystone' : 'httpd';
    const files: FileSpec[] = [
      {
        path: '/etc/keystone/keystone.conf',
        template: 'keystone/keystone.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.keystone,
        restarts: [unit],
        view: {
          debug: iniBool(d.debug),
          connection: iniValue(databaseUrl(d, 'keystone', d.keystone.dbPassword, 'keystone')),
          memcacheServers: iniValue(memcacheServer(d)),
        },
      },
    ];
    files.push({
      path: CATALOG_SCRIPT_PATH,
      template: 'keystone/ensure-catalog.py.hbs',
      // Run as `python3 FILE`, never executed directly.
      mode: '0644',
      owner: 'root',
      group: 'root',
      restarts: [],
      view: {},
    });
    // Packages mode only: cairn's keystone container runs uwsgi with its own arguments.
    if (os === 'debian' && d.mode === 'packages') files.push(uwsgiDefaults(d, { unit: 'keystone', ini: '/etc/keystone/keystone-uwsgi.ini', connectionClose: true }));
    if (os === 'rhel') {
      const workers = workerCount(d);
      files.push({
        path: '/etc/httpd/conf.d/wsgi-keystone.conf',
        template: 'keystone/wsgi-keystone.conf.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: ['httpd'],
        view: {
          port: KEYSTONE_PORT,
          // mod_wsgi has no "one per CPU" setting: per-host leaves its default (one process).
          setProcesses: workers !== undefined,
          processes: workers ?? 0,
        },
      });
    }
    return files;
  },
  bootstrap: ({ deployment: d, host }, all) => {
    if (host.name !== controllerOf(d).name) return [];
    const url = keystoneUrl(d);
    const keyOwner = ['--keystone-user', 'keystone', '--keystone-group', 'keystone'];
    return [
      migration('keystone database schema', 'keystone', ['keystone-manage', 'db_sync'], databaseUrl(d, 'keystone', d.keystone.dbPassword, 'keystone')),
      // Key repositories are made once: making them again would invalidate every token.
      { name: 'fernet-keys', title: 'keystone fernet keys', when: 'before-start', argv: ['keystone-manage', 'fernet_setup', ...keyOwner], creates: '/etc/keystone/fernet-keys/0' },
      { name: 'credential-keys', title: 'keystone credential keys', when: 'before-start', argv: ['keystone-manage', 'credential_setup', ...keyOwner], creates: '/etc/keystone/credential-keys/0' },
      httpReady('ready', 'keystone answers', url),
      {
        name: 'bootstrap',
        title: 'keystone admin user, region and identity endpoints',
        when: 'after-start',
        // The password reaches keystone-manage through its environment, read from stdin.
        argv: [
          'sh',
          '-c',
          'IFS= read -r OS_BOOTSTRAP_PASSWORD && export OS_BOOTSTRAP_PASSWORD && exec "$@"',
          'sh',
          ...runAs('keystone', [
            'keystone-manage',
            'bootstrap',
            '--bootstrap-username', d.keystone.adminUser,
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', d.keystone.region,
            '--bootstrap-admin-url', url,
            '--bootstrap-internal-url', url,
            '--bootstrap-public-url', url,
          ]),
        ],
        stdin: `${d.keystone.adminPassword}\n`,
        timeoutMs: 300_000,
      },
      {
        name: 'catalog',
        title: 'service users, projects and catalog endpoints',
        when: 'after-start',
        argv: ['python3', CATALOG_SCRIPT_PATH],
        stdin: JSON.stringify(catalogSpec(d, all)),
        timeoutMs: 900_000,
      },
    ];
  },
  databases: [{ name: 'keystone', user: 'keystone', password: (d) => d.keystone.dbPassword }],
  endpoints: [
    {
      serviceName: 'keystone',
      serviceType: 'identity',
      url: (ctrl) => `http://${urlHost(ctrl)}:${KEYSTONE_PORT}/v3`,
      // Keystone's own catalog entry is made by `keystone-manage bootstrap`, whose admin user is
      // d.keystone.adminUser; this entry names the bootstrap default for completeness only.
      user: 'admin',
      password: (d) => d.keystone.adminPassword,
    },
  ],
  containers: [keystoneContainer],
  // Keystone's checks run whatever else is deployed: a token proves the admin credentials, and
  // the catalog is where every other service's API is found.
  apiChecks: ({ catalogTypes }): ApiCheck[] => {
    // The catalog types of the services deployed (keystone's identity among them).
    const expected = catalogTypes;
    return [
      {
        id: 'keystone-token',
        script: 'openstack token issue -f value -c expires',
        judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? `token issued, expires ${out}` : lastLines(out) }),
        hint: `${ADMIN_HINT}openstack token issue; journalctl -u keystone (or /var/log/keystone/)`,
        containersHint: (api) => `${containersShell(api)} token issue; ${containerLogs('keystone')}`,
      },
      {
        id: 'endpoints',
        script: ENDPOINTS_SCRIPT,
        judge: (out, code) => {
          const list = parseJson<{ service: string; interface: string; url: string; status: number | string }[]>(out);
          if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
          const absent = missing(expected, list.map((e) => e.service));
          const down = list.filter((e) => typeof e.status !== 'number' || e.status >= 500);
          if (absent.length > 0 || down.length > 0) {
            return { ok: false, detail: [...absent.map((s) => `no ${s} endpoint`), ...down.map((e) => `${e.service} ${e.interface} ${e.url}: ${e.status}`)].join('; ') };
          }
          return { ok: true, detail: `${list.length} endpoints answer (${[...new Set(list.map((e) => e.service))].join(', ')})` };
        },
        hint: `${ADMIN_HINT}openstack endpoint list; check the failing service's unit and log`,
        containersHint: (api) => `${containersShell(api)} endpoint list; docker ps -a, and docker logs of the failing service's container`,
      },
    ];
  },
};

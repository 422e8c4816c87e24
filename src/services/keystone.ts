/**
 * Keystone, the identity service, on the control host. Debian runs it under uwsgi as
 * keystone.service (port 5000); the RHEL family runs it in httpd through mod_wsgi, so there
 * cairn also writes the vhost.
 */
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import {
  KEYSTONE_PORT,
  SERVICE_GROUP,
  databaseUrl,
  iniBool,
  iniValue,
  memcacheServer,
  urlHost,
  workerCount,
} from './common.js';

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
};

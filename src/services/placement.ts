/**
 * Placement, the resource inventory nova schedules against, on the control host. Debian runs it
 * under uwsgi as placement-api.service; RDO's openstack-placement-api runs it in httpd.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import { httpReadyAtEnd, migration } from './bootstrap-commands.js';
import { SERVICE_GROUP, databaseUrl, iniBool, iniValue, keystoneAuthView, urlHost, uwsgiDefaults } from './common.js';
import { uwsgi, type ContainerDef } from './container-def.js';

/** Placement API port. */
export const PLACEMENT_PORT = 8778;

/** placement-api under uwsgi. */
const placementApiContainer: ContainerDef = {
  name: 'placement-api',
  packages: ['placement-api'],
  user: { name: 'placement', uid: 42482, gid: 42482, home: '/var/lib/placement' },
  configLinks: ['/etc/placement/placement.conf'],
  command: uwsgi('/usr/bin/placement-api', PLACEMENT_PORT),
  health: { kind: 'http', port: PLACEMENT_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** Placement on the control host. */
export const placement: ServiceDescriptor = {
  name: 'placement',
  // Nova is placement's only client; without nova there is nothing to place.
  enabled: (d) => d.services.nova,
  components: [
    {
      name: 'placement-api',
      role: 'control',
      unit: { debian: 'placement-api', rhel: 'httpd' },
      packages: { debian: ['placement-api'], rhel: ['openstack-placement-api'] },
      ports: [PLACEMENT_PORT],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      {
        path: '/etc/placement/placement.conf',
        template: 'placement/placement.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.placement,
        restarts: [os === 'debian' ? 'placement-api' : 'httpd'],
        view: {
          debug: iniBool(d.debug),
          connection: iniValue(databaseUrl(d, 'placement', d.placement.dbPassword, 'placement')),
          auth: keystoneAuthView(d, 'placement', d.placement.ksPassword),
        },
      },
      ...(os === 'debian' && d.mode === 'packages' ? [uwsgiDefaults(d, { unit: 'placement-api', ini: '/etc/placement/placement-api-uwsgi.ini' })] : []),
    ];
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      migration('placement database schema', 'placement', ['placement-manage', 'db', 'sync'], databaseUrl(d, 'placement', d.placement.dbPassword, 'placement')),
      httpReadyAtEnd('ready', 'placement answers', `http://${urlHost(host.address)}:${PLACEMENT_PORT}/`),
    ];
  },
  databases: [{ name: 'placement', user: 'placement', password: (d) => d.placement.dbPassword }],
  endpoints: [
    {
      serviceName: 'placement',
      serviceType: 'placement',
      url: (ctrl) => `http://${urlHost(ctrl)}:${PLACEMENT_PORT}`,
      user: 'placement',
      password: (d) => d.placement.ksPassword,
    },
  ],
  containers: [placementApiContainer],
  // No checks of its own: its resource providers are nova-compute's to make, checked with nova's.
};

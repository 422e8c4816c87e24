/**
 * chrony on every host. With upstream servers configured every host syncs with them; the
 * control host also serves time to the other hosts so they agree even when upstream is lost.
 * Without upstream servers the control host serves its own clock (local stratum 10).
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';

export const chrony: ServiceDescriptor = {
  name: 'chrony',
  enabled: () => true,
  components: [
    // chrony runs everywhere; one component per role keeps placement uniform.
    ...(['control', 'network', 'compute'] as const).map((role) => ({
      name: 'chrony',
      role,
      unit: { debian: 'chrony', rhel: 'chronyd' },
      packages: { debian: ['chrony'], rhel: ['chrony'] },
      ports: [],
    })),
  ],
  files: ({ deployment: d, host, os }) => {
    const controller = controllerOf(d);
    const isServer = host.name === controller.name;
    const upstream = d.ntp.servers;
    const servers = isServer ? upstream : [...upstream, controller.address];
    return [
      {
        path: os === 'debian' ? '/etc/chrony/chrony.conf' : '/etc/chrony.conf',
        template: 'chrony/chrony.conf.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: [os === 'debian' ? 'chrony' : 'chronyd'],
        view: {
          servers: servers.map((s) => ({ address: s, preferred: s !== controller.address })),
          serveClients: isServer,
          // The lab subnet and every other host may ask the control host for time.
          allow: isServer ? d.hosts.filter((h) => h.name !== host.name).map((h) => h.address) : [],
          localStratum: isServer && upstream.length === 0,
          driftfile: os === 'debian' ? '/var/lib/chrony/chrony.drift' : '/var/lib/chrony/drift',
          keyfile: os === 'debian' ? '/etc/chrony/chrony.keys' : '/etc/chrony.keys',
          logdir: '/var/log/chrony',
        },
      },
    ];
  },
};

/**
 * memcached on the control host: Keystone's token cache, keystonemiddleware's token cache in
 * every API, and Horizon's sessions.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import { MEMCACHED_PORT } from './common.js';

/** memcached on the control host. */
export const memcached: ServiceDescriptor = {
  name: 'memcached',
  enabled: () => true,
  components: [
    {
      name: 'memcached',
      role: 'control',
      unit: { debian: 'memcached', rhel: 'memcached' },
      packages: { debian: ['memcached'], rhel: ['memcached'] },
      ports: [MEMCACHED_PORT],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const view = {
      // The control address: APIs on this host and Horizon connect there.
      listen: host.address,
      port: MEMCACHED_PORT,
      memoryMb: 64,
      maxConnections: 1024,
    };
    const common = { mode: '0644', owner: 'root', group: 'root', restarts: ['memcached'] };
    if (os === 'debian') {
      // Read by Debian's systemd-memcached-wrapper: one command-line option per line.
      return [{ ...common, path: '/etc/memcached.conf', template: 'memcached/memcached.conf.hbs', view }];
    }
    return [{ ...common, path: '/etc/sysconfig/memcached', template: 'memcached/sysconfig.hbs', view }];
  },
};

/**
 * MariaDB on the control host: the one database server every OpenStack service uses.
 * The drop-in sorts last (99-) so its settings win over the package's 50-server.cnf.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import { databasesSql } from './bootstrap-commands.js';

/** MariaDB server settings on the control host. */
export const mariadb: ServiceDescriptor = {
  name: 'mariadb',
  enabled: (d) => d.services.mariadb,
  components: [
    {
      name: 'mariadb',
      role: 'control',
      unit: { debian: 'mariadb', rhel: 'mariadb' },
      // PyMySQL is the driver the services' mysql+pymysql:// URLs name.
      packages: { debian: ['mariadb-server', 'python3-pymysql'], rhel: ['mariadb-server', 'python3-PyMySQL'] },
      ports: [3306],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      {
        path: os === 'debian' ? '/etc/mysql/mariadb.conf.d/99-openstack.cnf' : '/etc/my.cnf.d/openstack.cnf',
        template: 'mariadb/openstack.cnf.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: ['mariadb'],
        view: {
          // Bind to the control address (not 0.0.0.0): services on other hosts reach it there,
          // and nothing listens on networks the deployment did not name.
          bindAddress: host.address,
          // Every service keeps one pool per worker; the default 151 runs out on a small cloud.
          maxConnections: 4096,
        },
      },
    ];
  },
  bootstrap: ({ deployment: d, host }, all) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      { name: 'ready', title: 'mariadb answers', when: 'after-start', argv: ['mysqladmin', '--connect-timeout=5', 'ping'], wait: { intervalMs: 1000, deadlineMs: 600_000 } },
      {
        name: 'databases',
        title: 'databases, users and grants',
        when: 'after-start',
        // As root over the socket; the SQL (with the passwords) goes on stdin.
        argv: ['mysql', '--batch'],
        stdin: databasesSql(d, all),
      },
    ];
  },
};

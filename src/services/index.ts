/**
 * Every service cairn deploys, in deployment order. This list is the one place that order is
 * decided (kind's create.go, not Packstack's numbered plugin files); rendering, planning and
 * verification all walk it front to back.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { chrony } from './chrony.js';
import { repos } from './repos.js';
import { mariadb } from './mariadb.js';
import { rabbitmq } from './rabbitmq.js';
import { memcached } from './memcached.js';
import { keystone } from './keystone.js';
import { glance } from './glance.js';
import { placement } from './placement.js';
import { nova } from './nova.js';
import { neutron } from './neutron.js';
import { cinder } from './cinder.js';
import { heat } from './heat.js';
import { swift } from './swift.js';
import { horizon } from './horizon.js';
import { ovsNetwork } from './ovs-network.js';
import { credentials } from './credentials.js';

/**
 * Services in the order they are deployed, and why:
 * - chrony first: a skewed clock makes apt/dnf reject repository metadata ("not valid yet") and
 *   later breaks token expiry and RabbitMQ/Galera heartbeats.
 * - repos before anything that installs a package.
 * - mariadb, rabbitmq, memcached: the backing services every OpenStack service connects to.
 * - keystone before every service that registers endpoints or validates tokens.
 * - glance and placement before nova: nova-compute reports to placement at start, and booting
 *   needs images.
 * - nova before neutron: neutron's server notifies nova of port changes, and nova's metadata API
 *   must exist before neutron's metadata agent proxies to it.
 * - cinder after nova and glance: it calls nova back (extended volumes) and makes volumes from
 *   images; nova-compute reads its [cinder] section at start either way.
 * - swift after keystone (its proxy validates tokens); nothing depends on it yet.
 * - heat after the services its stacks make resources in (it also checks them at start).
 * - horizon after the APIs it shows.
 * - ovs-network after neutron: the bridge definitions need openvswitch-switch (installed with
 *   neutron's OVS agent) before the host's network can be switched over to them.
 * - credentials last: they are only useful once Keystone answers.
 */
export const allServices: readonly ServiceDescriptor[] = [
  chrony,
  repos,
  mariadb,
  rabbitmq,
  memcached,
  keystone,
  glance,
  placement,
  nova,
  neutron,
  cinder,
  swift,
  heat,
  horizon,
  ovsNetwork,
  credentials,
];

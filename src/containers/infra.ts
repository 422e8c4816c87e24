/**
 * Containers mode keeps the infrastructure on the host: chrony, repositories, MariaDB, RabbitMQ,
 * memcached, Open vSwitch with the provider bridges (br-ex) on network and compute hosts, the
 * Docker engine on every host and, on compute hosts, libvirtd with QEMU are installed and
 * configured by the packages-mode plan (the same steps, the same engine). The container
 * services join that plan
 * as host-side views, so MariaDB's bootstrap creates their databases and users, but no
 * OpenStack package, file or unit goes on the host: those live in the containers.
 */
import { placementRoles, type ServiceDescriptor } from '../services/descriptor.js';
import { chrony } from '../services/chrony.js';
import { credentials } from '../services/credentials.js';
import { dockerEngine } from '../services/docker-engine.js';
import { mariadb } from '../services/mariadb.js';
import { ovsNetwork } from '../services/ovs-network.js';
import { memcached } from '../services/memcached.js';
import { rabbitmq } from '../services/rabbitmq.js';
import { repos } from '../services/repos.js';
import type { ContainerService } from './services.js';

/**
 * Components that stay on the host in containers mode: the hypervisor and the virtual switch.
 * nova-compute's container drives the host's libvirtd through its socket, and neutron's agents
 * the host's Open vSwitch through its sockets, so instances and their ports outlive an upgrade
 * of either; the host's own network (br-ex carries its external address) never depends on a
 * container.
 */
export const HOST_COMPONENTS: ReadonlySet<string> = new Set(['libvirtd', 'openvswitch']);

/**
 * `s` with its database and endpoints only, plus its HOST_COMPONENTS (packages, unit): no
 * OpenStack component, file or bootstrap on the host.
 */
export function databaseOnly(s: ServiceDescriptor): ServiceDescriptor {
  return {
    name: s.name,
    enabled: s.enabled,
    components: s.components.filter((c) => HOST_COMPONENTS.has(c.name)),
    // Still placed where the whole service is: MariaDB's bootstrap on the control host creates
    // the databases of the services active there.
    roles: placementRoles(s),
    files: () => [],
    ...(s.databases ? { databases: s.databases } : {}),
    ...(s.endpoints ? { endpoints: s.endpoints } : {}),
  };
}

/**
 * The services of the host-side plan in containers mode, in packages-mode order; the admin
 * credentials go where Packstack puts them (/root/keystonerc_admin on the control host).
 */
export function hostSideServices(containers: readonly ContainerService[]): ServiceDescriptor[] {
  // Several containers share a descriptor (nova's five): its view goes in once.
  const descriptors = [...new Set(containers.map((c) => c.descriptor))];
  // The provider bridges' steps and host network files go with Open vSwitch (network hosts
  // only: ovs-network's descriptor places itself there).
  // The Docker engine the containers run on goes in with the rest of the host side.
  return [chrony, repos, mariadb, rabbitmq, memcached, ...descriptors.map(databaseOnly), ovsNetwork, dockerEngine, credentials];
}

/**
 * The service containers cairn runs, derived from the service descriptors: each descriptor
 * (src/services/) defines its own containers in its `containers` field, and this list pairs
 * each definition with its descriptor, whose rendered files the container reads and whose
 * bootstrap steps it runs as one-shot containers, so configuration and migrations have one
 * source of truth. Infrastructure (MariaDB, RabbitMQ, memcached) defines none: it stays on the
 * host, installed by the packages-mode steps.
 *
 * Pure data; desired.ts turns a container service, a host and the rendered files into a
 * ContainerSpec.
 */
import type { ContainerDef } from '../services/container-def.js';
import type { ServiceDescriptor } from '../services/descriptor.js';
import { allServices } from '../services/index.js';

// The pure types and path helpers live with the definitions (services/ must not import
// containers/); re-exported so that this stays the one module containers code imports.
export type { DataDir, HealthProbe, ImageLayer, ServiceUser } from '../services/container-def.js';
export { CONTAINER_CONFIG_DIR, hostConfigDir, hostDataDir } from '../services/container-def.js';
export { NOVA_LAYER } from '../services/nova.js';
export { NEUTRON_LAYER } from '../services/neutron.js';
export { HEAT_LAYER } from '../services/heat.js';

/** One service container: its descriptor's definition, with the descriptor. */
export interface ContainerService extends ContainerDef {
  /** The packages-mode descriptor whose files (and bootstrap steps) this container uses. */
  descriptor: ServiceDescriptor;
}

/**
 * Every container service, in deployment order: the descriptors' order (allServices: keystone
 * first, the others register with it; nova before neutron, whose server notifies nova and whose
 * metadata agent forwards to nova's metadata API), each descriptor's containers in its order.
 */
export const containerServices: readonly ContainerService[] = allServices.flatMap((s) => (s.containers ?? []).map((c) => ({ ...c, descriptor: s })));

/** The container service called `name`, or undefined. */
export function containerService(name: string): ContainerService | undefined {
  return containerServices.find((s) => s.name === name);
}

/** The entry of containerServices called `name` (the same object), for the named exports below. */
function named(name: string): ContainerService {
  const s = containerService(name);
  if (!s) throw new Error(`bug: no container service ${name} in the descriptors`);
  return s;
}

/** Keystone under uwsgi (services/keystone.ts). */
export const keystoneContainer: ContainerService = named('keystone');
/** glance-api (services/glance.ts). */
export const glanceApiContainer: ContainerService = named('glance-api');
/** placement-api under uwsgi (services/placement.ts). */
export const placementApiContainer: ContainerService = named('placement-api');
/** nova-api, which runs nova's bootstrap (services/nova.ts). */
export const novaApiContainer: ContainerService = named('nova-api');
/** nova's metadata API, from nova-api's image (services/nova.ts). */
export const novaMetadataApiContainer: ContainerService = named('nova-metadata-api');
/** nova-conductor (services/nova.ts). */
export const novaConductorContainer: ContainerService = named('nova-conductor');
/** nova-scheduler (services/nova.ts). */
export const novaSchedulerContainer: ContainerService = named('nova-scheduler');
/** The noVNC console proxy (services/nova.ts). */
export const novaNovncproxyContainer: ContainerService = named('nova-novncproxy');
/** nova-compute, driving the host's libvirtd (services/nova.ts). */
export const novaComputeContainer: ContainerService = named('nova-compute');
/** The Neutron API, which runs neutron's migration (services/neutron.ts). */
export const neutronServerContainer: ContainerService = named('neutron-server');
/** neutron-rpc-server (services/neutron.ts). */
export const neutronRpcServerContainer: ContainerService = named('neutron-rpc-server');
/** The Open vSwitch agent (services/neutron.ts). */
export const neutronOvsAgentContainer: ContainerService = named('neutron-openvswitch-agent');
/** The DHCP agent (services/neutron.ts). */
export const neutronDhcpAgentContainer: ContainerService = named('neutron-dhcp-agent');
/** The L3 agent (services/neutron.ts). */
export const neutronL3AgentContainer: ContainerService = named('neutron-l3-agent');
/** The metadata agent (services/neutron.ts). */
export const neutronMetadataAgentContainer: ContainerService = named('neutron-metadata-agent');
/** Horizon in Apache (services/horizon.ts). */
export const horizonContainer: ContainerService = named('horizon');

/** The image repository suffix `service` runs (its own name unless it shares another's). */
export function imageOf(service: ContainerService): string {
  return service.image ?? service.name;
}

/**
 * The services whose images make `services`' images, each image once: a service that runs
 * another's image (nova-metadata-api) is built as that one (nova-api).
 */
export function imageOwners(services: readonly ContainerService[]): ContainerService[] {
  const owners = services.map((s) => (s.image === undefined ? s : (containerService(s.image) ?? s)));
  return [...new Set(owners)];
}

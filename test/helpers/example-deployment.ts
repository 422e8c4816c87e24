/**
 * A hand-built Deployment (1 control+network host, 2 computes) for unit tests of stages
 * after config/. Tests of config/ itself load answer files instead.
 */
import type { Deployment, Host } from '../../src/config/model.js';

function host(name: string, address: string, roles: Host['roles'], extra: Partial<Host> = {}): Host {
  return {
    name,
    address,
    roles,
    osFamily: 'debian',
    ssh: { user: 'root', port: 22, keyFile: '/root/.ssh/id_ed25519' },
    sudo: false,
    interfaceAddresses: {},
    origin: 'test',
    ...extra,
  };
}

/** A 3-node deployment like the seed lab's, with fixed passwords. */
export function exampleDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    sources: { answerFile: 'test.ini' },
    mode: 'packages',
    release: 'zed',
    hosts: [
      host('ctrl1', '198.18.10.11', ['control', 'network'], {
        managementInterface: 'eth0',
        externalInterface: 'eth1',
        interfaceAddresses: { eth0: '198.18.10.11/24', eth1: '198.18.20.11/24' },
        gateway: '198.18.10.1',
      }),
      host('cmp1', '198.18.10.12', ['compute']),
      host('cmp2', '198.18.10.13', ['compute']),
    ],
    controller: 'ctrl1',
    debug: false,
    serviceWorkers: 2,
    ntp: { servers: ['198.18.10.1'] },
    repos: { urls: [], aptSuite: 'bookworm', aptComponents: ['main'], gpgcheck: true, aptProxy: '', installRecommends: false },
    services: { mariadb: true, glance: true, nova: true, neutron: true, horizon: true, cinder: false, heat: false, swift: false, client: true },
    amqp: { host: '198.18.10.11', port: 5672, user: 'openstack', password: 'amqp-secret', ssl: false },
    mariadb: { host: '198.18.10.11', user: 'root', password: 'db-root-secret' },
    keystone: {
      region: 'RegionOne',
      adminUser: 'admin',
      adminPassword: 'admin-secret',
      adminEmail: 'root@localhost',
      demoPassword: 'demo-secret',
      dbPassword: 'keystone-db-secret',
    },
    glance: { dbPassword: 'glance-db-secret', ksPassword: 'glance-ks-secret', backend: 'file' },
    placement: { dbPassword: 'placement-db-secret', ksPassword: 'placement-ks-secret' },
    nova: {
      dbPassword: 'nova-db-secret',
      ksPassword: 'nova-ks-secret',
      cpuAllocationRatio: 16,
      ramAllocationRatio: 1.5,
      diskAllocationRatio: 1,
      virtType: 'qemu',
      migrateProtocol: 'ssh',
    },
    neutron: {
      dbPassword: 'neutron-db-secret',
      ksPassword: 'neutron-ks-secret',
      metadataSecret: 'metadata-secret',
      l3ExtBridge: 'br-ex',
      ml2: {
        typeDrivers: ['flat', 'vxlan'],
        tenantNetworkTypes: ['vxlan'],
        mechanismDrivers: ['openvswitch'],
        flatNetworks: ['*'],
        vlanRanges: [],
        tunnelIdRanges: [],
        vniRanges: [{ min: 10, max: 100 }],
        vxlanGroup: '239.1.1.5',
      },
      ovs: {
        bridgeMappings: [{ physnet: 'physnet1', bridge: 'br-ex' }],
        bridgeIfaces: [{ bridge: 'br-ex', iface: 'eth1' }],
        vxlanUdpPort: 4789,
        datapathType: 'netdev',
      },
    },
    horizon: { secretKey: 'horizon-secret-key', ssl: false },
    swift: { ksPassword: 'swift-ks-secret', hash: 'swift-hash-secret', replicas: 1 },
    cinder: { dbPassword: 'cinder-db-secret', ksPassword: 'cinder-ks-secret', volumeGroup: 'cinder-volumes', volumesCreate: true, volumesSizeBytes: 20 * 2 ** 30 },
    heat: {
      dbPassword: 'heat-db-secret',
      ksPassword: 'heat-ks-secret',
      domain: 'heat',
      domainAdmin: 'heat_admin',
      domainPassword: 'heat-domain-secret',
      authEncryptionKey: '0123456789abcdef0123456789abcdef',
    },
    provisionDemo: false,
    demoFloatRange: '172.24.4.0/24',
    ...overrides,
  };
}

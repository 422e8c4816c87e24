/**
 * Nova, the compute service. The control host runs the API, metadata API, conductor, scheduler
 * and the noVNC console proxy; compute hosts run nova-compute with libvirt/QEMU. Every host that
 * runs any of them gets ONE nova.conf holding the sections of each role it has, so a host that is
 * both control and compute gets both sets without two files fighting over the same options.
 */
import type { Deployment, Host } from '../config/model.js';
import { controllerOf, hasRole } from '../config/model.js';
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
import { componentsOn } from './descriptor.js';
import { CONTROLLER_WAIT_MS, httpReady, httpReadyAtEnd, runAs } from './bootstrap-commands.js';
import { shJoin } from '../transport/quote.js';
import { lastLines, missing, parseJson, type ApiCheck, type ApiCheckContext } from './api-checks.js';
import { AMQP_PORT, uwsgi, type ContainerDef, type ImageLayer, type ServiceUser } from './container-def.js';
import {
  SERVICE_GROUP,
  databaseUrl,
  iniBool,
  iniValue,
  keystoneAuthView,
  transportUrl,
  unique,
  urlHost,
  uwsgiDefaults,
  workerCount,
} from './common.js';

/** Compute API port. */
export const NOVA_API_PORT = 8774;
/** Metadata API port (neutron-metadata-agent proxies instances' requests here). */
export const NOVA_METADATA_PORT = 8775;
/** noVNC console proxy port. */
export const NOVNC_PORT = 6080;

/**
 * Seconds between the scheduler's scans for unmapped compute hosts: computes added later join
 * cell1 without anyone running `nova-manage cell_v2 discover_hosts` by hand.
 */
const DISCOVER_HOSTS_INTERVAL = 300;

/** The novncproxy_base_url compute hosts hand to clients (the proxy on the control host). */
function novncBaseUrl(d: Deployment): string {
  return `http://${urlHost(controllerOf(d).address)}:${NOVNC_PORT}/vnc_auto.html`;
}

/** The nova.conf view-model for `host`: every role decision is made here. */
export function novaConfView(d: Deployment, host: Host): Record<string, unknown> {
  const control = hasRole(host, 'control');
  const compute = hasRole(host, 'compute');
  const workers = workerCount(d);
  const auth = (user: string, password: string) => keystoneAuthView(d, user, password);
  return {
    debug: iniBool(d.debug),
    myIp: iniValue(host.address),
    transportUrl: iniValue(transportUrl(d)),
    control,
    compute,
    // per-host: leave the worker options out so each service starts one worker per CPU.
    setWorkers: control && workers !== undefined,
    workers: workers ?? 0,
    apiDatabase: iniValue(databaseUrl(d, 'nova', d.nova.dbPassword, 'nova_api')),
    database: iniValue(databaseUrl(d, 'nova', d.nova.dbPassword, 'nova')),
    discoverHostsInterval: DISCOVER_HOSTS_INTERVAL,
    authtoken: auth('nova', d.nova.ksPassword),
    serviceUser: auth('nova', d.nova.ksPassword),
    placement: auth('placement', d.placement.ksPassword),
    neutronEnabled: d.services.neutron,
    neutron: auth('neutron', d.neutron.ksPassword),
    // Volumes: the region nova finds cinder's endpoint in, and nova's own credentials for the
    // calls it makes without a user (detaching the volumes of a deleted server).
    cinderEnabled: d.services.cinder,
    cinder: auth('nova', d.nova.ksPassword),
    // The metadata API checks the proxy's signature with the secret neutron-metadata-agent uses.
    metadataSecret: iniValue(d.neutron.metadataSecret),
    cpuAllocationRatio: d.nova.cpuAllocationRatio,
    ramAllocationRatio: d.nova.ramAllocationRatio,
    diskAllocationRatio: d.nova.diskAllocationRatio,
    // 'auto' is decided per host at deploy time from /dev/kvm and the CPU flags (host.virtType);
    // before that decision (`cairn render`), kvm stands for a host with hardware virtualisation.
    virtType: d.nova.virtType === 'auto' ? (host.virtType ?? 'kvm') : d.nova.virtType,
    virtTypeAuto: d.nova.virtType === 'auto' && host.virtType === undefined,
    migrateScheme: d.nova.migrateProtocol,
    vnc: {
      // Compute hosts: instances' VNC servers listen everywhere so the proxy (and a migration's
      // destination) can reach them. Control only: nothing but the proxy runs here.
      serverListen: compute ? '0.0.0.0' : iniValue(host.address),
      proxyclientAddress: iniValue(host.address),
      novncproxyBaseUrl: iniValue(novncBaseUrl(d)),
    },
  };
}

/** Components of nova on every role, with Debian's and RDO's package and unit names. */
const components: ServiceDescriptor['components'] = [
  {
    name: 'nova-api',
    role: 'control',
    unit: { debian: 'nova-api', rhel: 'openstack-nova-api' },
    packages: { debian: ['nova-api'], rhel: ['openstack-nova-api'] },
    ports: [NOVA_API_PORT],
  },
  {
    // Debian's nova-api package ships the metadata API as its own uwsgi unit; RDO ships
    // openstack-nova-metadata-api in openstack-nova-api. nova.conf sets enabled_apis to
    // osapi_compute so RDO's eventlet nova-api does not also bind the metadata port.
    name: 'nova-metadata-api',
    role: 'control',
    unit: { debian: 'nova-api-metadata', rhel: 'openstack-nova-metadata-api' },
    packages: { debian: ['nova-api'], rhel: ['openstack-nova-api'] },
    ports: [NOVA_METADATA_PORT],
  },
  {
    name: 'nova-conductor',
    role: 'control',
    unit: { debian: 'nova-conductor', rhel: 'openstack-nova-conductor' },
    packages: { debian: ['nova-conductor'], rhel: ['openstack-nova-conductor'] },
    ports: [],
  },
  {
    name: 'nova-scheduler',
    role: 'control',
    unit: { debian: 'nova-scheduler', rhel: 'openstack-nova-scheduler' },
    packages: { debian: ['nova-scheduler'], rhel: ['openstack-nova-scheduler'] },
    ports: [],
  },
  {
    // Debian has no nova-novncproxy package: the consoles come in nova-consoleproxy.
    name: 'nova-novncproxy',
    role: 'control',
    unit: { debian: 'nova-novncproxy', rhel: 'openstack-nova-novncproxy' },
    packages: { debian: ['nova-consoleproxy'], rhel: ['openstack-nova-novncproxy'] },
    ports: [NOVNC_PORT],
  },
  {
    // Before nova-compute: packages install without starting services, and nova-compute
    // exits at once (HypervisorUnavailable) when libvirtd's socket is not there.
    name: 'libvirtd',
    role: 'compute',
    unit: { debian: 'libvirtd', rhel: 'libvirtd' },
    packages: { debian: ['libvirt-daemon-system', 'qemu-system-x86'], rhel: ['libvirt', 'qemu-kvm'] },
    ports: [],
  },
  {
    // nova-compute-kvm is what pulls in libvirt and QEMU on Debian (nova-compute depends on it).
    name: 'nova-compute',
    role: 'compute',
    unit: { debian: 'nova-compute', rhel: 'openstack-nova-compute' },
    packages: { debian: ['nova-compute', 'nova-compute-kvm'], rhel: ['openstack-nova-compute'] },
    ports: [],
  },
];

/** Nova's service user, the same in every nova image (they share /var/lib/nova on a host). */
const NOVA_USER: ServiceUser = { name: 'nova', uid: 42436, gid: 42436, home: '/var/lib/nova' };

/** What every nova image shares: the nova user, nova-common and python3-nova. */
export const NOVA_LAYER: ImageLayer = { name: 'nova-base', packages: ['nova-common'], user: NOVA_USER };

/** Every nova daemon's config: nova.conf, as in packages mode. */
const NOVA_CONF = ['/etc/nova/nova.conf'];

/**
 * nova-api (the compute API) under uwsgi. It runs nova's bootstrap: the API and cell database
 * migrations and the cell mappings before it starts, and discover-hosts once every nova-compute
 * has started.
 */
const novaApiContainer: ContainerDef = {
  name: 'nova-api',
  component: 'nova-api',
  finalSteps: ['discover-hosts'],
  packages: ['nova-api'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: uwsgi('/usr/bin/nova-api-wsgi', NOVA_API_PORT, { eventletPatched: true }),
  health: { kind: 'http', port: NOVA_API_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/**
 * The metadata API under uwsgi, from nova-api's image (Debian's nova-api package ships its WSGI
 * script and unit): instances reach it through neutron's metadata proxy and agent, which sign
 * each request with the shared secret.
 */
const novaMetadataApiContainer: ContainerDef = {
  name: 'nova-metadata-api',
  image: 'nova-api',
  component: 'nova-metadata-api',
  steps: 'none',
  packages: ['nova-api'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: uwsgi('/usr/bin/nova-metadata-wsgi', NOVA_METADATA_PORT, { eventletPatched: true }),
  // The version list: unauthenticated, answered by nova's metadata application.
  health: { kind: 'http', port: NOVA_METADATA_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/**
 * A nova daemon that only consumes RPC (conductor, scheduler): its package and command share its
 * name, its health is its RabbitMQ connection, and two side by side during an upgrade is what a
 * multi-controller cloud runs anyway.
 */
function novaRpcContainer(name: 'nova-conductor' | 'nova-scheduler'): ContainerDef {
  return {
    name,
    component: name,
    steps: 'none',
    packages: [name],
    user: NOVA_USER,
    layer: NOVA_LAYER,
    configLinks: NOVA_CONF,
    files: NOVA_CONF,
    command: [name, '--config-file', '/etc/nova/nova.conf'],
    health: { kind: 'amqp', port: AMQP_PORT },
    data: [],
    overlapOnUpgrade: true,
  };
}

/** The noVNC console proxy (Debian's nova-consoleproxy package), serving Debian's novnc files. */
const novaNovncproxyContainer: ContainerDef = {
  name: 'nova-novncproxy',
  component: 'nova-novncproxy',
  steps: 'none',
  packages: ['nova-consoleproxy'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: NOVA_CONF,
  files: NOVA_CONF,
  command: ['nova-novncproxy', '--config-file', '/etc/nova/nova.conf', '--web', '/usr/share/novnc'],
  health: { kind: 'http', port: NOVNC_PORT, path: '/vnc_lite.html' },
  data: [],
  overlapOnUpgrade: false,
};

/**
 * nova-compute, driving the HOST's libvirtd (which cairn installs on compute hosts with the
 * infrastructure): its socket is bound in, and /var/lib/nova is the same path on both sides so
 * the disks nova-compute writes are the files libvirt's QEMU opens.
 */
const novaComputeContainer: ContainerDef = {
  name: 'nova-compute',
  component: 'nova-compute',
  steps: 'none',
  // nova-compute depends on nova-compute-kvm, which brings qemu-img and libvirt's client side.
  packages: ['nova-compute'],
  user: NOVA_USER,
  layer: NOVA_LAYER,
  configLinks: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'],
  files: ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'],
  command: ['nova-compute', '--config-file', '/etc/nova/nova.conf', '--config-file', '/etc/nova/nova-compute.conf'],
  root: true,
  // What nova's privsep daemons ask for (nova/privsep/__init__.py): plugging VIFs and
  // managing instance files. Docker's defaults have CHOWN, DAC_OVERRIDE and FOWNER.
  capAdd: ['DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_ADMIN'],
  health: { kind: 'amqp', port: AMQP_PORT },
  data: [
    // 0755: the host's QEMU (libvirt-qemu) must reach the instance disks under it.
    { host: '/var/lib/nova', container: '/var/lib/nova', readOnly: false, mode: '0755', subdirs: ['instances'] },
    { host: '/run/libvirt', container: '/run/libvirt', readOnly: false, hostOwned: true },
    // The host's terminals: a guest's console is a pty of the host's libvirtd (/dev/pts/N in its
    // domain XML), which nova reads for the console log. Without it the path does not exist in
    // the container's own /dev/pts and every console log came back empty (kolla binds all /dev).
    { host: '/dev/pts', container: '/dev/pts', readOnly: false, hostOwned: true },
  ],
  // Two nova-computes on one host would both manage its instances.
  overlapOnUpgrade: false,
};

/** A Python snippet that prints the resource providers' names, as JSON, with the admin credentials. */
const PLACEMENT_SCRIPT = `python3 - <<'PY'
import json, os
from keystoneauth1 import session
from keystoneauth1.identity import v3
s = session.Session(auth=v3.Password(
    auth_url=os.environ["OS_AUTH_URL"], username=os.environ["OS_USERNAME"], password=os.environ["OS_PASSWORD"],
    project_name=os.environ["OS_PROJECT_NAME"], user_domain_name=os.environ["OS_USER_DOMAIN_NAME"],
    project_domain_name=os.environ["OS_PROJECT_DOMAIN_NAME"]))
r = s.get("/resource_providers", endpoint_filter={"service_type": "placement", "interface": "public"},
          headers={"OpenStack-API-Version": "placement 1.0"})
print(json.dumps(sorted(p["name"] for p in r.json()["resource_providers"])))
PY`;

/**
 * Nova's API checks: every compute host's nova-compute up, its hypervisor mapped, and its
 * resource provider in placement (nova-compute makes it; placement has no checks of its own).
 */
function novaApiChecks({ expect }: ApiCheckContext): ApiCheck[] {
  return [
    {
      id: 'compute-services',
      script: 'openstack compute service list --service nova-compute -f json',
      judge: (out, code) => {
        const list = parseJson<{ Host: string; State: string; Status: string }[]>(out);
        if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
        const up = list.filter((s) => s.State === 'up' && s.Status === 'enabled').map((s) => s.Host);
        const absent = missing(expect.computes, up);
        return absent.length === 0
          ? { ok: true, detail: `nova-compute up on ${up.join(', ')}` }
          : { ok: false, detail: `not up: ${absent.join(', ')} (listed: ${list.map((s) => `${s.Host} ${s.State}`).join(', ') || 'none'})` };
      },
      hint: 'on the compute host: journalctl -u nova-compute; /var/log/nova/nova-compute.log (RabbitMQ or placement unreachable?)',
    },
    {
      id: 'hypervisors',
      script: 'openstack hypervisor list -f json',
      judge: (out, code) => {
        const list = parseJson<Record<string, string>[]>(out);
        if (code !== 0 || !list) return { ok: false, detail: lastLines(out) };
        const names = list.map((h) => (h['Hypervisor Hostname'] ?? '').split('.')[0]!);
        const absent = missing(expect.computes, names);
        return absent.length === 0 ? { ok: true, detail: `${names.length} hypervisors: ${names.join(', ')}` } : { ok: false, detail: `missing: ${absent.join(', ')} (listed: ${names.join(', ') || 'none'})` };
      },
      hint: 'on the control host: nova-manage cell_v2 discover_hosts --verbose (as nova)',
    },
    {
      id: 'placement',
      script: PLACEMENT_SCRIPT,
      judge: (out, code) => {
        const names = parseJson<string[]>(out);
        if (code !== 0 || !names) return { ok: false, detail: lastLines(out) };
        const short = names.map((n) => n.split('.')[0]!);
        const absent = missing(expect.computes, short);
        return absent.length === 0 ? { ok: true, detail: `resource providers: ${short.join(', ')}` } : { ok: false, detail: `no resource provider for ${absent.join(', ')}` };
      },
      hint: 'on the compute host: /var/log/nova/nova-compute.log (placement errors); on the control host: journalctl -u placement-api',
    },
  ];
}

/** Nova: control services on the control host, nova-compute on compute hosts. */
export const nova: ServiceDescriptor = {
  name: 'nova',
  enabled: (d) => d.services.nova,
  components,
  files: ({ deployment: d, host, os }) => {
    const here = componentsOn(nova, host).filter((c) => c.name !== 'libvirtd');
    if (here.length === 0) return [];
    const units = unique(here.map((c) => c.unit[os]));
    const files: FileSpec[] = [
      {
        path: '/etc/nova/nova.conf',
        template: 'nova/nova.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.nova,
        restarts: units,
        view: novaConfView(d, host),
      },
    ];
    if (os === 'debian' && hasRole(host, 'control')) {
      // Debian's console proxy package starts the SPICE proxy unless told otherwise; cairn
      // configures VNC consoles, so its noVNC unit must be the one that runs.
      files.push({
        path: '/etc/default/nova-consoleproxy',
        template: 'nova/nova-consoleproxy.default.hbs',
        mode: '0644',
        owner: 'root',
        group: 'root',
        restarts: [componentUnit('nova-novncproxy', os)],
        view: {},
      });
    }
    if (os === 'debian' && d.mode === 'packages') {
      // Both APIs run under uwsgi with Debian's settings that keep clients reusing closed
      // connections; the metadata API's ini also gives its eventlet-patched workers 32 threads
      // (nova-api's already has one).
      if (here.some((c) => c.name === 'nova-api')) {
        files.push(uwsgiDefaults(d, { unit: componentUnit('nova-api', os), ini: '/etc/nova/nova-api-uwsgi.ini', connectionClose: true }));
      }
      if (here.some((c) => c.name === 'nova-metadata-api')) {
        const unit = componentUnit('nova-metadata-api', os);
        files.push(uwsgiDefaults(d, { unit, ini: '/etc/nova/nova-api-metadata-uwsgi.ini', connectionClose: true, eventletPatchedBy: 'nova.monkey_patch' }));
      }
    }
    if (os === 'debian' && hasRole(host, 'compute')) {
      // Debian's nova-compute reads /etc/nova/nova-compute.conf after nova.conf, and the
      // nova-compute-kvm package ships one that sets virt_type=kvm. cairn owns that file and
      // keeps it empty, so nova.conf alone decides (virt_type=qemu on hosts without KVM).
      files.push({
        path: '/etc/nova/nova-compute.conf',
        template: 'nova/nova-compute.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.nova,
        restarts: [componentUnit('nova-compute', os)],
        view: {},
      });
    }
    return files;
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) {
      if (!hasRole(host, 'compute')) return [];
      // nova-compute needs RabbitMQ's user, the conductor and placement: all made on the
      // control host before its nova API starts.
      const api = `http://${urlHost(controllerOf(d).address)}:${NOVA_API_PORT}/`;
      return [httpReady('controller-ready', 'nova API on the control host answers', api, CONTROLLER_WAIT_MS, 'before-start')];
    }
    const manage = (...args: string[]): string[] => runAs('nova', ['nova-manage', ...args]);
    const databases = [databaseUrl(d, 'nova', d.nova.dbPassword, 'nova_api'), databaseUrl(d, 'nova', d.nova.dbPassword, 'nova')];
    const computes = d.hosts.filter((h) => hasRole(h, 'compute')).map((h) => h.name).sort();
    return [
      // Early (the host's background lane, in this order): they need only the databases and nova.conf.
      { name: 'api-db-sync', title: 'nova API database schema', when: 'before-start', argv: manage('api_db', 'sync'), inputs: databases, timeoutMs: 600_000, early: true },
      { name: 'cell0', title: 'nova cell0 mapped', when: 'before-start', argv: manage('cell_v2', 'map_cell0'), inputs: databases, timeoutMs: 300_000, early: true },
      {
        name: 'cell1',
        title: 'nova cell1 created',
        when: 'before-start',
        // create_cell fails when the cell exists; list first so a re-run after a cut-off run passes.
        argv: ['sh', '-c', `${shJoin(manage('cell_v2', 'list_cells'))} | grep -qF ' cell1 ' || ${shJoin(manage('cell_v2', 'create_cell', '--name=cell1'))}`],
        inputs: databases,
        timeoutMs: 300_000,
        early: true,
      },
      { name: 'db-sync', title: 'nova cell databases schema', when: 'before-start', argv: manage('db', 'sync'), inputs: databases, timeoutMs: 900_000, early: true },
      httpReadyAtEnd('ready', 'nova API answers', `http://${urlHost(host.address)}:${NOVA_API_PORT}/`),
      ...(computes.length === 0
        ? []
        : [
            {
              name: 'discover-hosts',
              title: `compute hosts mapped to cell1 (${computes.length})`,
              when: 'after-start' as const,
              // Computes deploy in parallel with this host: wait (bounded) until each has
              // registered its nova-compute service, then map them to cell1 now instead of at
              // the scheduler's next periodic scan.
              argv: ['sh', '-c', d.mode === 'containers' ? discoverInCellScript(computes.length) : discoverScript(computes.length), 'sh', ...computes],
              inputs: computes,
              timeoutMs: 900_000,
            },
          ]),
    ];
  },
  databases: ['nova', 'nova_api', 'nova_cell0'].map((name) => ({
    name,
    user: 'nova',
    password: (d: Deployment) => d.nova.dbPassword,
  })),
  endpoints: [
    {
      serviceName: 'nova',
      serviceType: 'compute',
      url: (ctrl) => `http://${urlHost(ctrl)}:${NOVA_API_PORT}/v2.1`,
      user: 'nova',
      password: (d) => d.nova.ksPassword,
    },
  ],
  containers: [
    novaApiContainer,
    novaMetadataApiContainer,
    // nova-conductor: database access for the other nova daemons.
    novaRpcContainer('nova-conductor'),
    // nova-scheduler: placement queries, host choice.
    novaRpcContainer('nova-scheduler'),
    novaNovncproxyContainer,
    novaComputeContainer,
  ],
  apiChecks: novaApiChecks,
};

/**
 * Waits up to ten minutes for `expected` nova-compute services in the cell database, then runs
 * discover_hosts. Says which hosts registered when some never do.
 */
function discoverScript(expected: number): string {
  const count = `mysql -N -B -e "SELECT COUNT(DISTINCT host) FROM nova.services WHERE \\\`binary\\\` = 'nova-compute' AND deleted = 0"`;
  return [
    'i=0',
    `while n=$(${count}) && [ "$n" -lt ${expected} ] && [ $i -lt 300 ]; do sleep 2; i=$((i+1)); done`,
    `if [ "\${n:-0}" -lt ${expected} ]; then`,
    `  echo "only \${n:-0} of ${expected} compute hosts ($*) registered nova-compute within 10 minutes; registered: $(mysql -N -B -e "SELECT GROUP_CONCAT(host) FROM nova.services WHERE \\\`binary\\\` = 'nova-compute' AND deleted = 0")" >&2`,
    '  exit 1',
    'fi',
    `exec ${shJoin(runAs('nova', ['nova-manage', 'cell_v2', 'discover_hosts', '--verbose']))}`,
  ].join('\n');
}

/**
 * discover_hosts until cell1 maps `expected` hosts, for at most ten minutes, with nova-manage
 * alone: containers mode runs this in a one-shot of the nova-api image, which has no MariaDB
 * client and no socket to the host's MariaDB. Runs after every nova-compute container is healthy.
 */
function discoverInCellScript(expected: number): string {
  const manage = (...args: string[]): string => shJoin(runAs('nova', ['nova-manage', 'cell_v2', ...args]));
  return [
    'i=0',
    'while :; do',
    `  ${manage('discover_hosts', '--verbose')} || exit 1`,
    // list_hosts prints a table: a header row, then one row per mapped host.
    `  n=$(${manage('list_hosts')} | grep -c '^|' || true)`,
    '  n=$((n > 0 ? n - 1 : 0))',
    `  [ "$n" -ge ${expected} ] && exit 0`,
    '  i=$((i+1))',
    `  if [ $i -ge 60 ]; then echo "only $n of ${expected} compute hosts ($*) mapped to a cell within 10 minutes" >&2; exit 1; fi`,
    '  sleep 10',
    'done',
  ].join('\n');
}

function componentUnit(name: string, os: Host['osFamily']): string {
  const c = components.find((x) => x.name === name);
  if (!c) throw new Error(`bug: nova has no component ${name}`);
  return c.unit[os];
}

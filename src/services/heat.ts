/**
 * Heat, orchestration, on the control host: heat-api (the OpenStack REST API), heat-api-cfn
 * (the CloudFormation-compatible API that wait conditions and software-config signals call
 * back to) and heat-engine. Debian runs both APIs under uwsgi through openstack-pkg-tools'
 * init scripts; RDO runs them as eventlet services.
 *
 * Heat keeps the users it makes for stacks (wait-condition handles, software deployments) in a
 * domain of their own, administered by a user of that domain: Packstack's CONFIG_HEAT_DOMAIN,
 * CONFIG_HEAT_DOMAIN_ADMIN and CONFIG_HEAT_DOMAIN_PASSWORD. The catalog step makes them.
 */
import type { FileSpec, ServiceDescriptor } from './descriptor.js';
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { httpReadyAtEnd, migration } from './bootstrap-commands.js';
import {
  SERVICE_GROUP,
  databaseUrl,
  iniBool,
  iniValue,
  keystoneAuthView,
  keystoneBaseUrl,
  keystoneUrl,
  shellQuote,
  transportUrl,
  urlHost,
  uwsgiDefaults,
  workerCount,
} from './common.js';
import { ADMIN_HINT, containerLogs, containersShell, lastLines, type ApiCheck } from './api-checks.js';
import { uwsgi, type ContainerDef, type ImageLayer } from './container-def.js';

/** heat-api's port (the orchestration API). */
export const HEAT_API_PORT = 8004;
/** heat-api-cfn's port (the CloudFormation API, wait conditions and metadata). */
export const HEAT_CFN_PORT = 8000;

/** The role a project member needs to own stacks; Tempest's orchestration tests ask for it. */
export const STACK_OWNER_ROLE = 'heat_stack_owner';
/** The role heat gives the users it makes in its stack domain. */
export const STACK_USER_ROLE = 'heat_stack_user';

/** The shared layer of heat's three images: the heat user and heat-common's library. */
export const HEAT_LAYER: ImageLayer = {
  name: 'heat-base',
  packages: ['heat-common'],
  user: { name: 'heat', uid: 42418, gid: 42418, home: '/var/lib/heat' },
};

const HEAT_CONF = '/etc/heat/heat.conf';

/**
 * heat-api under uwsgi. Heat's WSGI scripts do not monkey-patch with eventlet (unlike nova's
 * and neutron's), so it keeps the threaded worker layout.
 */
const heatApiContainer: ContainerDef = {
  name: 'heat-api',
  component: 'heat-api',
  packages: ['heat-api'],
  layer: HEAT_LAYER,
  user: HEAT_LAYER.user,
  configLinks: [HEAT_CONF],
  command: uwsgi('/usr/bin/heat-wsgi-api', HEAT_API_PORT),
  // The version list: unauthenticated, answered by heat itself.
  health: { kind: 'http', port: HEAT_API_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** heat-api-cfn under uwsgi. */
const heatApiCfnContainer: ContainerDef = {
  name: 'heat-api-cfn',
  component: 'heat-api-cfn',
  steps: 'none',
  packages: ['heat-api-cfn'],
  layer: HEAT_LAYER,
  user: HEAT_LAYER.user,
  configLinks: [HEAT_CONF],
  command: uwsgi('/usr/bin/heat-wsgi-api-cfn', HEAT_CFN_PORT),
  health: { kind: 'http', port: HEAT_CFN_PORT, path: '/' },
  data: [],
  overlapOnUpgrade: true,
};

/** heat-engine: RPC only, so its health is its RabbitMQ connection. */
const heatEngineContainer: ContainerDef = {
  name: 'heat-engine',
  component: 'heat-engine',
  steps: 'none',
  packages: ['heat-engine'],
  layer: HEAT_LAYER,
  user: HEAT_LAYER.user,
  configLinks: [HEAT_CONF],
  command: ['heat-engine', '--config-file', HEAT_CONF],
  health: { kind: 'amqp', port: 5672 },
  data: [],
  overlapOnUpgrade: true,
};

/**
 * The stack the verify check creates: a network when Neutron is deployed (a resource another
 * service makes for heat, through the trust heat takes), and a random string (heat's own).
 */
export function verifyStackTemplate(d: Deployment): string {
  const lines = ['heat_template_version: 2018-08-31', 'resources:', '  word:', '    type: OS::Heat::RandomString'];
  if (d.services.neutron) lines.push('  net:', '    type: OS::Neutron::Net');
  return `${lines.join('\n')}\n`;
}

/** Creates, checks and deletes a stack; prints its final status and the seconds it took. */
function stackScript(d: Deployment): string {
  return [
    'tmpl=$(mktemp)',
    `printf '%s' ${shellQuote(verifyStackTemplate(d))} > "$tmpl"`,
    'name="cairn-verify-$(date +%s)-$$"',
    'start=$(date +%s)',
    // --poll 1: the check's stack is made in a second or two, and the client's own 5 s
    // between looks was most of what the check took.
    'openstack stack create --wait --poll 1 -t "$tmpl" "$name" >/dev/null',
    'took=$(( $(date +%s) - start ))',
    'rm -f "$tmpl"',
    // One client run for both fields (each run of the client costs about 2 s of CPU).
    'shown=$(openstack stack show "$name" -f value -c stack_status -c stack_status_reason 2>/dev/null) || shown=missing',
    'status=$(printf \'%s\\n\' "$shown" | head -n 1)',
    'reason=$(printf \'%s\\n\' "$shown" | tail -n +2 | tr \'\\n\' \' \')',
    'openstack stack delete --yes --wait "$name" >/dev/null 2>&1',
    'echo "$status $took $reason"',
    '[ "$status" = CREATE_COMPLETE ]',
  ].join('\n');
}

/** The stack check's detail: how long the stack took, or why it failed. */
export function judgeStack(out: string, code: number): { ok: boolean; detail: string } {
  const m = /(CREATE_COMPLETE|CREATE_FAILED|CREATE_IN_PROGRESS|missing) (\d+)(.*)$/m.exec(out);
  if (code === 0 && m) return { ok: true, detail: `a stack was created in ${m[2]} s (CREATE_COMPLETE) and deleted` };
  if (m) {
    const reason = (m[3] ?? '').trim();
    return { ok: false, detail: `stack ${m[1]} after ${m[2]} s${reason ? `: ${reason}` : ''}` };
  }
  return { ok: false, detail: lastLines(out) };
}

/** The Debian unit (or RHEL unit) of each heat component. */
const UNITS = {
  api: { debian: 'heat-api', rhel: 'openstack-heat-api' },
  cfn: { debian: 'heat-api-cfn', rhel: 'openstack-heat-api-cfn' },
  engine: { debian: 'heat-engine', rhel: 'openstack-heat-engine' },
} as const;

/** Heat (orchestration) on the control host. */
export const heat: ServiceDescriptor = {
  name: 'heat',
  enabled: (d) => d.services.heat,
  components: [
    {
      name: 'heat-api',
      role: 'control',
      unit: UNITS.api,
      // The client plugin, so that `openstack stack ...` works where the admin credentials are.
      packages: { debian: ['heat-api', 'python3-heatclient'], rhel: ['openstack-heat-api', 'python3-heatclient'] },
      ports: [HEAT_API_PORT],
    },
    {
      name: 'heat-api-cfn',
      role: 'control',
      unit: UNITS.cfn,
      packages: { debian: ['heat-api-cfn'], rhel: ['openstack-heat-api-cfn'] },
      ports: [HEAT_CFN_PORT],
    },
    {
      name: 'heat-engine',
      role: 'control',
      unit: UNITS.engine,
      packages: { debian: ['heat-engine'], rhel: ['openstack-heat-engine'] },
      ports: [],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const ctrl = urlHost(controllerOf(d).address);
    const workers = workerCount(d);
    const units = [UNITS.api[os], UNITS.cfn[os], UNITS.engine[os]];
    const files: FileSpec[] = [
      {
        path: HEAT_CONF,
        template: 'heat/heat.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.heat,
        restarts: units,
        view: {
          debug: iniBool(d.debug),
          transportUrl: iniValue(transportUrl(d)),
          connection: iniValue(databaseUrl(d, 'heat', d.heat.dbPassword, 'heat')),
          auth: keystoneAuthView(d, 'heat', d.heat.ksPassword),
          keystoneBase: iniValue(keystoneBaseUrl(d)),
          keystoneV3: iniValue(keystoneUrl(d)),
          region: iniValue(d.keystone.region),
          metadataUrl: iniValue(`http://${ctrl}:${HEAT_CFN_PORT}`),
          waitConditionUrl: iniValue(`http://${ctrl}:${HEAT_CFN_PORT}/v1/waitcondition`),
          domain: iniValue(d.heat.domain),
          domainAdmin: iniValue(d.heat.domainAdmin),
          domainPassword: iniValue(d.heat.domainPassword),
          authEncryptionKey: iniValue(d.heat.authEncryptionKey),
          setWorkers: workers !== undefined,
          workers: workers ?? 0,
        },
      },
    ];
    // Packages mode only: the containers run uwsgi with cairn's own arguments.
    if (os === 'debian' && d.mode === 'packages') {
      files.push(uwsgiDefaults(d, { unit: 'heat-api', ini: '/etc/heat/heat-api-uwsgi.ini', connectionClose: true }));
      files.push(uwsgiDefaults(d, { unit: 'heat-api-cfn', ini: '/etc/heat/heat-api-cfn-uwsgi.ini', connectionClose: true }));
    }
    return files;
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    const ctrl = urlHost(host.address);
    return [
      migration('heat database schema', 'heat', ['heat-manage', 'db_sync'], databaseUrl(d, 'heat', d.heat.dbPassword, 'heat')),
      httpReadyAtEnd('ready', 'heat answers', `http://${ctrl}:${HEAT_API_PORT}/`),
      httpReadyAtEnd('cfn-ready', 'heat-api-cfn answers', `http://${ctrl}:${HEAT_CFN_PORT}/`),
    ];
  },
  databases: [{ name: 'heat', user: 'heat', password: (d) => d.heat.dbPassword }],
  endpoints: [
    {
      serviceName: 'heat',
      serviceType: 'orchestration',
      // Heat's v1 API is project-scoped in its path; Keystone fills in the project per token.
      url: (ctrl) => `http://${urlHost(ctrl)}:${HEAT_API_PORT}/v1/%(project_id)s`,
      user: 'heat',
      password: (d) => d.heat.ksPassword,
    },
    {
      serviceName: 'heat-cfn',
      serviceType: 'cloudformation',
      url: (ctrl) => `http://${urlHost(ctrl)}:${HEAT_CFN_PORT}/v1`,
      user: 'heat',
      password: (d) => d.heat.ksPassword,
    },
  ],
  identity: (d) => ({
    roles: [STACK_OWNER_ROLE, STACK_USER_ROLE],
    domains: [{ name: d.heat.domain, description: 'Owns the users heat creates for stacks', admin: { name: d.heat.domainAdmin, password: d.heat.domainPassword } }],
    // As Packstack does: the cloud administrator owns stacks in its own project.
    grants: [{ user: d.keystone.adminUser, project: 'admin', role: STACK_OWNER_ROLE }],
  }),
  containers: [heatApiContainer, heatApiCfnContainer, heatEngineContainer],
  apiChecks: ({ deployment: d }): ApiCheck[] => [
    {
      id: 'heat-stack',
      script: stackScript(d),
      judge: judgeStack,
      hint: `${ADMIN_HINT}openstack stack event list STACK; /var/log/heat/heat-engine.log`,
      containersHint: (api) => `${containersShell(api)} stack event list STACK; ${containerLogs('heat-engine')}`,
    },
  ],
};

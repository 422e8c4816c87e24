/**
 * Admin credentials on the control host, as Packstack leaves them: /root/keystonerc_admin to
 * `source` in a shell, and /root/.config/openstack/clouds.yaml for `openstack --os-cloud`.
 * Both hold the admin password, so both are readable by root only.
 */
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import type { ServiceDescriptor } from './descriptor.js';
import { keystoneUrl, shellQuote, yamlString } from './common.js';

/** Name of the cloud in clouds.yaml (`openstack --os-cloud cairn-admin ...`). */
export const CLOUD_NAME = 'cairn-admin';

/** The admin's settings, unquoted: the same values go to both files. */
function adminSettings(d: Deployment): [string, string][] {
  return [
    ['OS_USERNAME', d.keystone.adminUser],
    ['OS_PASSWORD', d.keystone.adminPassword],
    ['OS_PROJECT_NAME', 'admin'],
    ['OS_USER_DOMAIN_NAME', 'Default'],
    ['OS_PROJECT_DOMAIN_NAME', 'Default'],
    ['OS_AUTH_URL', keystoneUrl(d)],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_REGION_NAME', d.keystone.region],
  ];
}

/** The demo user's settings (CONFIG_PROVISION_DEMO=y): Packstack's keystonerc_demo. */
function demoSettings(d: Deployment): [string, string][] {
  const demo: Record<string, string> = { OS_USERNAME: 'demo', OS_PASSWORD: d.keystone.demoPassword, OS_PROJECT_NAME: 'demo' };
  return adminSettings(d).map(([name, value]) => [name, demo[name] ?? value]);
}

/** keystonerc_admin's (or keystonerc_demo's) view: each value shell-quoted so any password survives `source`. */
export function keystonercView(d: Deployment, who: 'admin' | 'demo' = 'admin'): Record<string, unknown> {
  return {
    exports: (who === 'admin' ? adminSettings(d) : demoSettings(d)).map(([name, value]) => ({ name, value: shellQuote(value) })),
    // Packstack's prompt marker, so a shell with credentials loaded says whose.
    ps1: shellQuote(`[\\u@\\h \\W(keystone_${who})]\\$ `),
  };
}

/**
 * The admin's settings as `export NAME='value'` lines for `sh`: what verify runs first inside
 * a service container, which has no keystonerc_admin. Fed on stdin, never on a command line.
 */
export function adminEnvScript(d: Deployment): string {
  return adminSettings(d).map(([name, value]) => `export ${name}=${shellQuote(value)}`).join('\n');
}

/** clouds.yaml's view: each value a YAML double-quoted scalar. */
export function cloudsYamlView(d: Deployment): Record<string, unknown> {
  return {
    cloud: yamlString(CLOUD_NAME),
    authUrl: yamlString(keystoneUrl(d)),
    username: yamlString(d.keystone.adminUser),
    password: yamlString(d.keystone.adminPassword),
    projectName: yamlString('admin'),
    userDomainName: yamlString('Default'),
    projectDomainName: yamlString('Default'),
    region: yamlString(d.keystone.region),
  };
}

/** keystonerc_admin and clouds.yaml for root on the control host. */
export const credentials: ServiceDescriptor = {
  name: 'credentials',
  enabled: () => true,
  components: [],
  roles: ['control'],
  files: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    const common = { mode: '0600', owner: 'root', group: 'root', restarts: [] as string[] };
    return [
      { ...common, path: '/root/keystonerc_admin', template: 'credentials/keystonerc_admin.hbs', view: keystonercView(d) },
      {
        ...common,
        path: '/root/.config/openstack/clouds.yaml',
        template: 'credentials/clouds.yaml.hbs',
        view: cloudsYamlView(d),
      },
      ...(d.provisionDemo ? [{ ...common, path: '/root/keystonerc_demo', template: 'credentials/keystonerc_admin.hbs', view: keystonercView(d, 'demo') }] : []),
    ];
  },
};

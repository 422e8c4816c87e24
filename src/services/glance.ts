/**
 * Glance, the image service, on the control host, storing images as files or in Swift
 * (CONFIG_GLANCE_BACKEND).
 *
 * Zed's glance deprecates the single-store `[glance_store] stores/default_store` options, so the
 * store is declared the multi-store way (`enabled_backends` + a section named after it). Glance's
 * reserved staging and tasks stores keep their defaults under /var/lib/glance/.
 *
 * The swift store keeps images in the container `glance` of the service project, as the glance
 * user (Swift's proxy takes members of the project as its operators); its credentials are in a
 * reference file of their own, as glance_store reads them, not in glance-api.conf.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';
import { httpReadyAtEnd, migration, runAs } from './bootstrap-commands.js';
import { SERVICE_GROUP, SERVICE_PROJECT, databaseUrl, iniBool, iniValue, keystoneAuthView, keystoneUrl, pasteValue, urlHost, workerCount } from './common.js';
import type { FileSpec } from './descriptor.js';
import { ADMIN_HINT, containerLogs, containersShell, lastLines } from './api-checks.js';
import { hostDataDir, type ContainerDef } from './container-def.js';

/** Glance API port. */
export const GLANCE_PORT = 9292;

/** The swift store's reference file (swift_store_config_file): where its credentials live. */
export const GLANCE_SWIFT_STORE_FILE = '/etc/glance/glance-swift-store.conf';

/** glance-api (eventlet, its own listener: no port sharing); images stay on the host. */
const glanceApiContainer: ContainerDef = {
  name: 'glance-api',
  packages: ['glance-api'],
  user: { name: 'glance', uid: 42415, gid: 42415, home: '/var/lib/glance' },
  configLinks: ['/etc/glance/glance-api.conf'],
  command: ['glance-api', '--config-file', '/etc/glance/glance-api.conf'],
  health: { kind: 'http', port: GLANCE_PORT, path: '/' },
  data: [{ host: hostDataDir('glance'), container: '/var/lib/glance', readOnly: false }],
  overlapOnUpgrade: false,
};

/** A tiny raw disk image the image check uploads: 1 MiB, made on the control host. */
const IMAGE_SCRIPT = [
  'img=$(mktemp)',
  'head -c 1048576 /dev/zero > "$img"',
  'name="cairn-verify-$(date +%s)-$$"',
  'id=$(openstack image create --disk-format raw --container-format bare --file "$img" -f value -c id "$name") || { rm -f "$img"; exit 1; }',
  'rm -f "$img"',
  'listed=$(openstack image list -f value -c ID | grep -c "$id")',
  'status=$(openstack image show "$id" -f value -c status)',
  'openstack image delete "$id"',
  'echo "$status $listed"',
  '[ "$status" = active ] && [ "$listed" = 1 ]',
].join('\n');

/** Glance (images, file store) on the control host. */
export const glance: ServiceDescriptor = {
  name: 'glance',
  enabled: (d) => d.services.glance,
  components: [
    {
      name: 'glance-api',
      role: 'control',
      unit: { debian: 'glance-api', rhel: 'openstack-glance-api' },
      packages: { debian: ['glance-api'], rhel: ['openstack-glance'] },
      ports: [GLANCE_PORT],
    },
  ],
  files: ({ deployment: d, host, os }) => {
    if (host.name !== controllerOf(d).name) return [];
    const workers = workerCount(d);
    const unit = os === 'debian' ? 'glance-api' : 'openstack-glance-api';
    const auth = keystoneAuthView(d, 'glance', d.glance.ksPassword);
    // glance_store reads the reference file with Python's configparser: % doubled, no oslo escaping.
    const swiftStore: FileSpec[] =
      d.glance.backend === 'swift'
        ? [
            {
              path: GLANCE_SWIFT_STORE_FILE,
              template: 'glance/glance-swift-store.conf.hbs',
              mode: '0640',
              owner: 'root',
              group: SERVICE_GROUP.glance,
              restarts: [unit],
              view: {
                authAddress: pasteValue(keystoneUrl(d)),
                user: pasteValue(`${SERVICE_PROJECT}:glance`),
                key: pasteValue(d.glance.ksPassword),
              },
            },
          ]
        : [];
    return [
      ...swiftStore,
      {
        path: '/etc/glance/glance-api.conf',
        template: 'glance/glance-api.conf.hbs',
        mode: '0640',
        owner: 'root',
        group: SERVICE_GROUP.glance,
        restarts: [unit],
        view: {
          debug: iniBool(d.debug),
          setWorkers: workers !== undefined,
          workers: workers ?? 0,
          connection: iniValue(databaseUrl(d, 'glance', d.glance.dbPassword, 'glance')),
          // The backend id and the store type share the name.
          backend: d.glance.backend,
          file: d.glance.backend === 'file',
          imagesDir: '/var/lib/glance/images/',
          swiftStoreFile: GLANCE_SWIFT_STORE_FILE,
          auth,
        },
      },
    ];
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    return [
      migration('glance database schema', 'glance', ['glance-manage', 'db_sync'], databaseUrl(d, 'glance', d.glance.dbPassword, 'glance')),
      {
        // The metadata definitions Glance ships (/etc/glance/metadefs: hardware, CPU, watchdog...
        // properties Horizon and Nova's scheduler filters read); db_sync leaves them out, and
        // Tempest's metadefs tests expect them. Namespaces already loaded are skipped.
        name: 'metadefs',
        title: 'glance metadata definitions',
        when: 'before-start',
        argv: runAs('glance', ['glance-manage', 'db_load_metadefs']),
        inputs: [databaseUrl(d, 'glance', d.glance.dbPassword, 'glance')],
        timeoutMs: 300_000,
      },
      httpReadyAtEnd('ready', 'glance answers', `http://${urlHost(host.address)}:${GLANCE_PORT}/`),
    ];
  },
  databases: [{ name: 'glance', user: 'glance', password: (d) => d.glance.dbPassword }],
  endpoints: [
    {
      serviceName: 'glance',
      serviceType: 'image',
      url: (ctrl) => `http://${urlHost(ctrl)}:${GLANCE_PORT}`,
      user: 'glance',
      password: (d) => d.glance.ksPassword,
    },
  ],
  containers: [glanceApiContainer],
  apiChecks: () => [
    {
      id: 'image-upload',
      script: IMAGE_SCRIPT,
      judge: (out, code) => ({ ok: code === 0, detail: code === 0 ? 'a 1 MiB raw image was uploaded, listed, active and deleted' : lastLines(out) }),
      hint: `${ADMIN_HINT}openstack image create --file FILE test; /var/log/glance/glance-api.log`,
      containersHint: (api) => `${containersShell(api)} image create --file FILE test; ${containerLogs('glance-api')}`,
    },
  ],
};

import test from 'ava';
import { planLab } from '../../src/lab/address-plan.js';
import { LAB_HOST_KEYS, SERVICES_OFF_IN_LABS, labAnswerSettings, updateAnswerFile } from '../../src/lab/answer-file.js';
import { generateAnswerFile } from '../../src/config/generate.js';

const plan = planLab('lab', { controllers: 1, computes: 2 }, 10);
const KEY = '/work/proj/.cairn/labs/lab/id_ed25519.pub';

test('the settings a lab decides', (t) => {
  const s = labAnswerSettings(plan, KEY);
  const installs = Object.fromEntries(SERVICES_OFF_IN_LABS.map((x) => [`CONFIG_${x}_INSTALL`, 'n']));
  t.deepEqual(s, {
    CONFIG_CONTROLLER_HOST: '198.18.10.11',
    CONFIG_COMPUTE_HOSTS: '198.18.10.21,198.18.10.22',
    CONFIG_NETWORK_HOSTS: '198.18.10.11',
    CONFIG_NTP_SERVERS: '198.18.10.1',
    CONFIG_SSH_KEY: KEY,
    CONFIG_NEUTRON_ML2_TYPE_DRIVERS: 'flat,vxlan',
    CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES: 'vxlan',
    CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS: 'physnet1:br-ex',
    CONFIG_NEUTRON_OVS_TUNNEL_IF: 'eth1',
    CONFIG_NEUTRON_OVS_BRIDGE_IFACES: 'br-ex:eth1',
    CONFIG_NOVA_LIBVIRT_VIRT_TYPE: 'qemu',
    CAIRN_APT_PROXY: 'http://198.18.10.1:3142/',
    CAIRN_OVS_DATAPATH_TYPE: 'netdev',
    CONFIG_PROVISION_DEMO: 'y',
    CONFIG_PROVISION_DEMO_FLOATRANGE: '198.19.10.0/24',
    CONFIG_HEAT_INSTALL: 'y',
    CONFIG_REPO: '',
    ...installs,
  });
  t.is(SERVICES_OFF_IN_LABS.length, 11);
  t.false((SERVICES_OFF_IN_LABS as readonly string[]).includes('HEAT'), 'the lab deploys Heat');
});

test("the project's generator accepts every lab setting and writes them", (t) => {
  const settings = labAnswerSettings(plan, KEY);
  const text = generateAnswerFile(settings, () => 'fixedpw');
  for (const [k, v] of Object.entries(settings)) t.regex(text, new RegExp(`^${k}=${v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), k);
});

test('an existing answer file: only the host keys follow the lab; passwords and edits stay', (t) => {
  const before = [
    '[general]',
    '# a comment the user wrote',
    'CONFIG_CONTROLLER_HOST=198.18.10.11',
    'CONFIG_COMPUTE_HOSTS=198.18.10.21',
    'CONFIG_KEYSTONE_ADMIN_PW=s3cret',
    'CONFIG_NTP_SERVERS=198.18.10.1',
    'CONFIG_DEBUG_MODE=y',
    '',
  ].join('\n');
  const settings = labAnswerSettings(plan, KEY);
  const u = updateAnswerFile(before, settings);
  t.deepEqual(u.changed, ['CONFIG_COMPUTE_HOSTS: 198.18.10.21 -> 198.18.10.21,198.18.10.22']);
  t.deepEqual(u.missing, ['CONFIG_NETWORK_HOSTS', 'CONFIG_SSH_KEY', 'CONFIG_NEUTRON_OVS_TUNNEL_IF', 'CONFIG_PROVISION_DEMO_FLOATRANGE', 'CAIRN_APT_PROXY']);
  t.is(u.text, before.replace('CONFIG_COMPUTE_HOSTS=198.18.10.21\n', 'CONFIG_COMPUTE_HOSTS=198.18.10.21,198.18.10.22\n'));
  t.deepEqual(updateAnswerFile(u.text, settings).changed, [], 'a second pass changes nothing');
  const crlf = updateAnswerFile('CONFIG_NTP_SERVERS = 10.0.0.1\r\n', settings, LAB_HOST_KEYS);
  t.is(crlf.text, 'CONFIG_NTP_SERVERS = 198.18.10.1\r\n', 'spacing and line endings are kept');
});

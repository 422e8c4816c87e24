/**
 * Heat's descriptor: what it renders and where, what it asks Keystone for (the stack domain,
 * its roles, the administrator's grant), and how its verify check reads a stack's outcome.
 */
import test from 'ava';
import type { Deployment } from '../../src/config/model.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { catalogSpec } from '../../src/services/bootstrap-commands.js';
import { heat, judgeStack, verifyStackTemplate } from '../../src/services/heat.js';
import { containerServices } from '../../src/containers/services.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

function withHeat(d: Deployment = exampleDeployment()): Deployment {
  return { ...d, services: { ...d.services, heat: true } };
}

const enabled = (d: Deployment) => allServices.filter((s) => s.enabled(d));

test('heat.conf is rendered on the controller only, with the stack domain and the encryption key', (t) => {
  const files = renderFiles(withHeat(), allServices).filter((f) => f.path.startsWith('/etc/heat/') || f.path.startsWith('/etc/default/heat'));
  t.deepEqual(files.map((f) => `${f.host}:${f.path}`).sort(), ['ctrl1:/etc/default/heat-api', 'ctrl1:/etc/default/heat-api-cfn', 'ctrl1:/etc/heat/heat.conf']);
  const conf = files.find((f) => f.path === '/etc/heat/heat.conf')!.content;
  t.regex(conf, /^stack_user_domain_name = heat$/m);
  t.regex(conf, /^stack_domain_admin = heat_admin$/m);
  t.regex(conf, /^stack_domain_admin_password = heat-domain-secret$/m);
  t.regex(conf, /^auth_encryption_key = 0123456789abcdef0123456789abcdef$/m);
  t.regex(conf, /^heat_waitcondition_server_url = http:\/\/198\.18\.10\.11:8000\/v1\/waitcondition$/m);
  t.regex(conf, /^connection = mysql\+pymysql:\/\/heat:heat-db-secret@198\.18\.10\.11\/heat$/m);
  t.regex(conf, /\[trustee\]\nauth_type = password\nauth_url = http:\/\/198\.18\.10\.11:5000\nusername = heat\npassword = heat-ks-secret/);
});

test('with Heat off nothing of it is rendered, registered or checked', (t) => {
  const d = exampleDeployment();
  t.false(renderFiles(d, allServices).some((f) => f.path.includes('heat')));
  const spec = catalogSpec(d, enabled(d));
  t.false(spec.services.some((s) => s.name.startsWith('heat')));
  t.deepEqual(spec.domains, []);
  t.deepEqual(spec.grants, []);
});

test('containers mode writes no uwsgi defaults for the heat APIs (the containers run their own uwsgi)', (t) => {
  const files = renderFiles(withHeat(exampleDeployment({ mode: 'containers' })), allServices);
  t.false(files.some((f) => f.path.startsWith('/etc/default/heat')));
  t.true(files.some((f) => f.path === '/etc/heat/heat.conf'));
});

test('the catalog step makes heat\'s endpoints, stack domain with its admin, roles, and the admin\'s stack owner grant', (t) => {
  const d = withHeat();
  const spec = catalogSpec(d, enabled(d));
  const heatServices = spec.services.filter((s) => s.name.startsWith('heat'));
  t.deepEqual(heatServices.map((s) => [s.name, s.type, s.urls.public]), [
    ['heat', 'orchestration', 'http://198.18.10.11:8004/v1/%(project_id)s'],
    ['heat-cfn', 'cloudformation', 'http://198.18.10.11:8000/v1'],
  ]);
  t.true(spec.users.some((u) => u.name === 'heat' && u.project === 'service' && u.password === 'heat-ks-secret'));
  t.is(spec.users.filter((u) => u.name === 'heat').length, 1, 'one heat user for both endpoints');
  t.true(spec.roles.includes('heat_stack_owner'));
  t.true(spec.roles.includes('heat_stack_user'));
  t.deepEqual(spec.domains, [{ name: 'heat', description: 'Owns the users heat creates for stacks', admin: { name: 'heat_admin', password: 'heat-domain-secret' } }]);
  t.deepEqual(spec.grants, [{ user: 'admin', project: 'admin', role: 'heat_stack_owner' }]);
});

test('heat has a container per component, each placed by its component', (t) => {
  const mine = containerServices.filter((c) => c.descriptor === heat);
  t.deepEqual(mine.map((c) => [c.name, c.component]), [['heat-api', 'heat-api'], ['heat-api-cfn', 'heat-api-cfn'], ['heat-engine', 'heat-engine']]);
  // Only heat-api runs the bootstrap (the migration), so it runs once.
  t.deepEqual(mine.map((c) => c.steps ?? 'all'), ['all', 'none', 'none']);
});

test('the verify stack makes a network only when Neutron is deployed', (t) => {
  t.regex(verifyStackTemplate(withHeat()), /OS::Neutron::Net/);
  const noNeutron = withHeat(exampleDeployment({ services: { ...exampleDeployment().services, neutron: false, nova: false } }));
  t.notRegex(verifyStackTemplate(noNeutron), /OS::Neutron::Net/);
  t.regex(verifyStackTemplate(noNeutron), /OS::Heat::RandomString/);
});

test('the stack check passes on CREATE_COMPLETE and says why otherwise', (t) => {
  t.deepEqual(judgeStack('CREATE_COMPLETE 7 \n', 0), { ok: true, detail: 'a stack was created in 7 s (CREATE_COMPLETE) and deleted' });
  const failed = judgeStack('CREATE_FAILED 12 Resource CREATE failed: Forbidden: You are not authorized\n', 1);
  t.false(failed.ok);
  t.is(failed.detail, 'stack CREATE_FAILED after 12 s: Resource CREATE failed: Forbidden: You are not authorized');
  const noClient = judgeStack('openstack: \'stack create\' is not an openstack command\n', 1);
  t.false(noClient.ok);
  t.regex(noClient.detail, /not an openstack command/);
});

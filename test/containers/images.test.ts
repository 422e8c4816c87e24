/**
 * The image templates rendered for each service: FROM the base, fixed ids before the package,
 * the package list, config symlinks into the read-only config directory; the base's apt
 * sources come from the given archive. Pure (no engine).
 */
import test from 'ava';
import { baseContext, layerContext, layersOf, serviceContext } from '../../src/containers/image-build.js';
import { imageBuildLabels } from '../../src/containers/images.js';
import { containerServices, HEAT_LAYER, horizonContainer, imageOwners, keystoneContainer, NEUTRON_LAYER, NOVA_LAYER, novaApiContainer } from '../../src/containers/services.js';

const archive = {
  mirror: 'http://deb.example.org/debian',
  suite: 'bookworm',
  entries: [{ uri: 'http://deb.example.org/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'], origin: 'test:1' }],
};

test('base: FROM the debootstrap image, apt sources from the host archive, policy-rc.d executable', (t) => {
  const files = baseContext('cairn-lab-base:abc', archive);
  t.deepEqual(files.map((f) => [f.name, f.mode.toString(8)]), [['Dockerfile', '644'], ['debian.sources', '644'], ['policy-rc.d', '755']]);
  t.regex(files[0]!.content, /^FROM cairn-lab-base:abc$/m);
  t.regex(files[1]!.content, /^URIs: http:\/\/deb\.example\.org\/debian$/m);
  t.regex(files[2]!.content, /exit 101/);
});

test('keystone image: fixed ids before the package, the package, the config symlink', (t) => {
  const [dockerfile] = serviceContext(keystoneContainer, 'cairn/openstack-base:zed-4', 'zed');
  const text = dockerfile!.content;
  t.regex(text, /^FROM cairn\/openstack-base:zed-4$/m);
  t.regex(text, /groupadd --system --gid 42425 keystone/);
  t.regex(text, /useradd --system --uid 42425 --gid 42425 --home-dir \/var\/lib\/keystone/);
  t.regex(text, /apt-get install -y --no-install-recommends keystone python3-openstackclient/);
  t.regex(text, /ln -sfn \/etc\/cairn\/config\/keystone\.conf \/etc\/keystone\/keystone\.conf/);
  t.true(text.indexOf('groupadd') < text.indexOf('apt-get install'), 'the user exists before the package');
});

test('horizon image: Debian\'s www-data (no user made), the dashboard site the only one enabled, after the links', (t) => {
  const text = serviceContext(horizonContainer, 'base', 'zed')[0]!.content;
  t.false(text.includes('groupadd'));
  t.regex(text, /ln -sfn \/etc\/cairn\/config\/openstack-dashboard\.conf \/etc\/apache2\/sites-available\/openstack-dashboard\.conf/);
  t.regex(text, /^RUN rm -f \/etc\/apache2\/sites-enabled\/\*\.conf && ln -s \/etc\/apache2\/sites-available\/openstack-dashboard\.conf \/etc\/apache2\/sites-enabled\/openstack-dashboard\.conf$/m);
  t.true(text.indexOf('ln -sfn') < text.indexOf('sites-enabled/*.conf'));
  // Images without a setup step render as before (their build cache stays valid).
  const keystone = serviceContext(keystoneContainer, 'base', 'zed')[0]!.content;
  t.false(keystone.includes('own setup'));
  t.false(/\n\n\n/.test(keystone));
});

test('every service image renders, and each names its own package', (t) => {
  for (const s of containerServices) {
    const text = serviceContext(s, 'base', 'zed')[0]!.content;
    for (const p of s.packages) t.true(text.includes(p), `${s.name}: ${p}`);
    t.regex(text, new RegExp(`LABEL cairn.image=${s.name} cairn.release=zed`));
  }
});

test('build labels: the base has no tag label (rebuilds reuse the cache), services do', (t) => {
  t.deepEqual(imageBuildLabels('openstack-base', undefined), { 'cairn.image': 'openstack-base' });
  t.deepEqual(imageBuildLabels('keystone', 'zed-2'), { 'cairn.image': 'keystone', 'cairn.tag': 'zed-2' });
});

test("layers: nova's and neutron's images build on their project's layer, which makes the user once", (t) => {
  const layer = layerContext(NOVA_LAYER, 'cairn/openstack-base:zed-4')[0]!.content;
  t.regex(layer, /^FROM cairn\/openstack-base:zed-4$/m);
  t.regex(layer, /groupadd --system --gid 42436 nova/);
  t.regex(layer, /apt-get install -y --no-install-recommends nova-common/);
  t.true(layer.indexOf('groupadd') < layer.indexOf('apt-get install'), 'the user exists before the package');
  const api = serviceContext(novaApiContainer, 'cairn/nova-base:zed-4', 'zed')[0]!.content;
  t.regex(api, /^FROM cairn\/nova-base:zed-4$/m);
  t.false(api.includes('groupadd'), 'the layer made the user');
  t.regex(api, /apt-get install -y --no-install-recommends nova-api/);
  // keystone has no layer: it still makes its own user.
  t.regex(serviceContext(keystoneContainer, 'base', 'zed')[0]!.content, /groupadd --system --gid 42425 keystone/);
});

test('layers: each built once, before the images on them; every image on a layer runs as its user', (t) => {
  const owners = imageOwners(containerServices);
  t.deepEqual(layersOf(owners).map((l) => l.name), [NOVA_LAYER.name, NEUTRON_LAYER.name, HEAT_LAYER.name].sort((a, b) => owners.findIndex((s) => s.layer?.name === a) - owners.findIndex((s) => s.layer?.name === b)));
  const onLayers = owners.filter((s) => s.layer);
  t.true(onLayers.filter((s) => s.layer === NOVA_LAYER).length >= 4, 'nova-api, -conductor, -scheduler, -novncproxy, -compute');
  t.true(onLayers.filter((s) => s.layer === NEUTRON_LAYER).length >= 6, 'the server, the RPC server and four agents');
  t.is(onLayers.filter((s) => s.layer === HEAT_LAYER).length, 3, 'heat-api, heat-api-cfn, heat-engine');
  for (const s of onLayers) t.deepEqual(s.user, s.layer!.user, s.name);
  for (const s of owners.filter((o) => o.name.startsWith('nova-') || o.name.startsWith('neutron-') || o.name.startsWith('heat-'))) t.truthy(s.layer, `${s.name} is on its project's layer`);
});

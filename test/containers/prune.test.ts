import test from 'ava';
import { unusedImageRefs, type ListedContainer, type ListedImage } from '../../src/containers/prune.js';

const img = (id: string, ...tags: string[]): ListedImage => ({ Id: `sha256:${id}`, RepoTags: tags });
const ctr = (id: string): ListedContainer => ({ ImageID: `sha256:${id}` });

test('the running and the kept previous version stay; a refused build and an older one go', (t) => {
  const images = [img('a', 'cairn/keystone:zed-1'), img('b', 'cairn/keystone:zed-2'), img('c', 'cairn/keystone:zed-3'), img('d', 'cairn/keystone:zed-4')];
  // zed-3 runs, zed-2 is the stopped -previous container; zed-4 was refused, zed-1 is older.
  t.deepEqual(unusedImageRefs('cairn/keystone', images, [ctr('c'), ctr('b')]), ['cairn/keystone:zed-1', 'cairn/keystone:zed-4']);
});

test("an image another service's container runs stays (nova-metadata-api runs nova-api's image)", (t) => {
  const images = [img('a', 'cairn/nova-api:zed-2'), img('b', 'cairn/nova-api:zed-3'), img('c', 'cairn/nova-api:zed-4')];
  // nova-api runs zed-4 with zed-3 kept; nova-metadata-api still runs zed-2.
  t.deepEqual(unusedImageRefs('cairn/nova-api', images, [ctr('c'), ctr('b'), ctr('a')]), []);
});

test('only tags of the repository asked about: a prefix of another repository, other tags of a shared id and untagged images stay', (t) => {
  const images = [
    img('a', 'cairn/nova-api:zed-1', 'cairn/nova-api-extra:zed-1', 'cairn/nova-base:zed-1'),
    img('b', 'cairn/nova-api-extra:zed-2'),
    { Id: 'sha256:e', RepoTags: null },
    { Id: 'sha256:f', RepoTags: ['<none>:<none>'] },
  ];
  t.deepEqual(unusedImageRefs('cairn/nova-api', images, []), ['cairn/nova-api:zed-1']);
});

test('nothing listed, nothing to remove', (t) => {
  t.deepEqual(unusedImageRefs('cairn/keystone', [], [ctr('a')]), []);
});

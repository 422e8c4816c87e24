/**
 * A deliberately broken keystone image for the e2e test and the bench: the given good image
 * with keystone's WSGI entry point replaced by one that fails to import, so uwsgi (--need-app)
 * exits at start and the container never becomes healthy. Labelled like a cairn build so
 * `cairn upgrade` accepts it like any other tag.
 */
import type Docker from 'dockerode';
import { buildImage } from '../../src/containers/image-build.js';
import { imageRef } from '../../src/containers/images.js';
import { Progress } from '../../src/local/progress.js';

/** Builds `cairn/keystone:<brokenTag>` FROM `cairn/keystone:<goodTag>`; returns its reference. */
export async function buildBrokenKeystone(docker: Docker, goodTag: string, brokenTag: string): Promise<string> {
  const ref = imageRef('keystone', brokenTag);
  const dockerfile = [
    `FROM ${imageRef('keystone', goodTag)}`,
    '# Deliberately broken (cairn e2e/bench): the WSGI application cannot be imported.',
    "RUN printf 'raise RuntimeError(\"cairn test: deliberately broken keystone\")\\n' > /usr/bin/keystone-wsgi-public",
  ].join('\n');
  await buildImage(docker, ref, 'keystone', brokenTag, [{ name: 'Dockerfile', content: `${dockerfile}\n`, mode: 0o644 }], new Progress(undefined));
  return ref;
}

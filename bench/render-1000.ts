/**
 * Rendering benchmark: 1 controller + 1000 computes, from answer-file text to every rendered
 * file with its sha256 (what `cairn render` computes before writing). Goal: under 2 s.
 * Run: npm run bench:render
 */
import { performance } from 'node:perf_hooks';
import { loadDeployment } from '../src/config/deployment.js';
import { renderFiles } from '../src/render/render-files.js';
import { TemplateSet } from '../src/render/templates.js';
import { allServices } from '../src/services/index.js';

const COMPUTES = 1000;
const computes = Array.from({ length: COMPUTES }, (_, i) => `198.18.${100 + Math.floor(i / 250)}.${(i % 250) + 2}`);
const answerText = [
  '[general]',
  'CONFIG_DEFAULT_PASSWORD=bench-secret',
  'CONFIG_CONTROLLER_HOST=198.18.10.11',
  'CONFIG_NETWORK_HOSTS=198.18.10.11',
  `CONFIG_COMPUTE_HOSTS=${computes.join(',')}`,
  'CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS=physnet1:br-ex',
  'CONFIG_NEUTRON_OVS_BRIDGE_IFACES=br-ex:eth1',
  '',
].join('\n');

function once(): { loadMs: number; renderMs: number; files: number; bytes: number } {
  const t0 = performance.now();
  const { deployment, problems } = loadDeployment({ answerFile: 'bench.ini', answerText });
  if (!deployment) throw new Error(`bench answer file is invalid: ${JSON.stringify(problems)}`);
  const t1 = performance.now();
  // A fresh template set each time: template compilation is part of the cost of a run.
  const files = renderFiles(deployment, allServices, new TemplateSet());
  const t2 = performance.now();
  return { loadMs: t1 - t0, renderMs: t2 - t1, files: files.length, bytes: files.reduce((n, f) => n + f.content.length, 0) };
}

const runs = Array.from({ length: 5 }, once);
const totals = runs.map((r) => r.loadMs + r.renderMs).sort((a, b) => a - b);
const median = totals[Math.floor(totals.length / 2)]!;
const first = runs[0]!;
console.log(`render bench: 1 controller + ${COMPUTES} computes -> ${first.files} files, ${(first.bytes / 1e6).toFixed(1)} MB`);
console.log(`  first run (cold templates, cold JIT): load ${first.loadMs.toFixed(0)} ms + render ${first.renderMs.toFixed(0)} ms = ${(first.loadMs + first.renderMs).toFixed(0)} ms`);
console.log(`  median of ${runs.length}: ${median.toFixed(0)} ms; goal 2000 ms; ratio goal/median = ${(2000 / median).toFixed(1)}x`);

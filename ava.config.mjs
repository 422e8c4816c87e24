// The end-to-end tests (a full OpenStack deploy on a fresh lab, tens of minutes; containers
// mode, about ten) run only with `npm run test:e2e`, which sets CAIRN_E2E; `npm test` runs
// everything else.
const e2e = 'dist/test/**/*.e2e.test.js';

export default {
  files: process.env.CAIRN_E2E ? [e2e] : ['dist/test/**/*.test.js', `!${e2e}`],
  timeout: '10m',
  concurrency: 1,
};

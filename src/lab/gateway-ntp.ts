/**
 * The lab's time service: chronyd on the host's side of the management network (the same
 * container also runs the lab's package cache, see gateway-apt-cache.ts).
 *
 * It runs in a container in the host's network namespace (so it answers on the host's address
 * 198.18.S.1, the nodes' gateway), made from the node image, without CAP_SYS_TIME and with `-x`:
 * it serves the host's clock and can never change it. Binding to the lab's own gateway address
 * lets several labs (and any NTP server the host itself runs) coexist on port 123.
 */
import type { LabPlan } from './address-plan.js';

/** chrony.conf of the gateway's chronyd. */
export function gatewayChronyConf(plan: LabPlan): string {
  return [
    `# cairn lab ${plan.name}: NTP server for the lab nodes, on the host's management address.`,
    '# Started with -x: it serves the host clock and never adjusts it.',
    `bindaddress ${plan.management.gateway}`,
    // No command port or socket: nothing on the host needs to talk to this chronyd.
    'cmdport 0',
    'bindcmdaddress /',
    // Serve the host's clock even though chronyd itself has no upstream source.
    'local stratum 8',
    `allow ${plan.management.subnet}`,
    `pidfile ${GATEWAY_PID_FILE}`,
    '',
  ].join('\n');
}

/** chronyd's pid file in the gateway container. */
export const GATEWAY_PID_FILE = '/run/cairn-gateway-chronyd.pid';

/** Where the gateway container writes its config before starting chronyd. */
export const GATEWAY_CHRONY_CONF_PATH = '/run/cairn-gateway-chrony.conf';

/**
 * The gateway container's command: first the `background` lines (the package cache's start and
 * check, gateway-apt-cache.ts), then write chronyd's config handed over in an environment
 * variable (so the spec is self-contained data, with no host file to mount), then run chronyd in
 * the foreground so `docker logs` shows its messages. The old pid file goes first: a
 * restarted container (after the host's reboot, or Docker's) keeps its /run, and chronyd, pid 1
 * again, would take the file's "1" for another chronyd and exit.
 */
export function gatewayCommand(background: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    [
      ...background,
      `rm -f ${GATEWAY_PID_FILE}`,
      `printf '%s' "$CAIRN_CHRONY_CONF" > ${GATEWAY_CHRONY_CONF_PATH}`,
      `exec /usr/sbin/chronyd -d -x -f ${GATEWAY_CHRONY_CONF_PATH}`,
    ].join('\n'),
  ];
}

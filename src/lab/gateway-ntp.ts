/**
 * The lab's time service: chronyd on the host's side of the management network.
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
    'pidfile /run/cairn-gateway-chronyd.pid',
    '',
  ].join('\n');
}

/** Where the gateway container writes its config before starting chronyd. */
export const GATEWAY_CHRONY_CONF_PATH = '/run/cairn-gateway-chrony.conf';

/**
 * The gateway container's command: write the config handed over in an environment variable
 * (so the spec is self-contained data, with no host file to mount), then run chronyd in the
 * foreground so `docker logs` shows its messages.
 */
export function gatewayCommand(): string[] {
  return [
    'sh',
    '-c',
    `printf '%s' "$CAIRN_CHRONY_CONF" > ${GATEWAY_CHRONY_CONF_PATH} && exec /usr/sbin/chronyd -d -x -f ${GATEWAY_CHRONY_CONF_PATH}`,
  ];
}

/**
 * inventory/NAME.yml for a lab, in exactly the shape cairn's inventory reader takes
 * (src/config/inventory.ts). Paths in it are relative to the inventory file's own folder, so
 * the project directory can move.
 */
import { dirname, relative, sep } from 'node:path';
import { computesOf, controllersOf, type LabPlan } from './address-plan.js';

/** `target` relative to the folder of `fromFile`, with forward slashes. */
export function relativeFrom(fromFile: string, target: string): string {
  return relative(dirname(fromFile), target).split(sep).join('/');
}

/**
 * The inventory text. `sshKey` and `knownHosts` are paths relative to the inventory's folder.
 * The first controller is the control and network host (cairn deploys a single controller).
 */
export function inventoryText(plan: LabPlan, sshKey: string, knownHosts: string): string {
  const [controller] = controllersOf(plan);
  const list = (names: string[]): string => `[${names.join(', ')}]`;
  const lines = [
    `# written by \`cairn lab up\` for lab ${plan.name}`,
    'defaults:',
    '  ssh_user: root',
    '  ssh_port: 22',
    `  ssh_key: ${sshKey}`,
    `  known_hosts: ${knownHosts}`,
    '  sudo: false',
    '  os_family: debian',
    'hosts:',
  ];
  for (const n of plan.nodes) {
    lines.push(
      `  ${n.name}:`,
      `    address: ${n.managementAddress}`,
      `    management_interface: ${plan.management.interface}`,
      `    external_interface: ${plan.external.interface}`,
      '    interfaces:',
      `      ${plan.management.interface}: ${n.managementAddress}/${plan.management.prefixLength}`,
      `      ${plan.external.interface}: ${n.externalAddress}/${plan.external.prefixLength}`,
      `    gateway: ${plan.management.gateway}`,
    );
  }
  lines.push(
    'groups:',
    `  control: ${list(controller ? [controller.name] : [])}`,
    `  network: ${list(controller ? [controller.name] : [])}`,
    `  compute: ${list(computesOf(plan).map((n) => n.name))}`,
  );
  return `${lines.join('\n')}\n`;
}

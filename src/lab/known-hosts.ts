/**
 * known_hosts for a lab, written from host keys read out of each node through the Docker API
 * (not trusted on first use over the network), so cairn's SSH checks them strictly.
 */

/** A node's names (node name, management address) and its host public keys. */
export interface NodeHostKeys {
  names: string[];
  /** Lines of ssh_host_*_key.pub: `TYPE BASE64 [comment]`. */
  publicKeys: string[];
}

/** `TYPE BASE64` of a .pub line, or undefined if it is not one. */
export function keyOf(line: string): string | undefined {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data || !/^(ssh-|ecdsa-|sk-)/.test(type) || !/^[A-Za-z0-9+/]+=*$/.test(data)) return undefined;
  return `${type} ${data}`;
}

/** known_hosts text: one `name,address TYPE KEY` line per key, nodes in the given order. */
export function knownHostsText(lab: string, nodes: readonly NodeHostKeys[]): string {
  const lines = [`# Host keys of cairn lab ${lab}, read from the nodes by \`cairn lab up\`.`];
  for (const n of nodes) {
    for (const k of n.publicKeys.map(keyOf).filter((k): k is string => k !== undefined)) {
      lines.push(`${n.names.join(',')} ${k}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The table `lab up` and `lab status` print: one row per node.
 */

/** One row: a node as planned, with the state the provider observed. */
export interface NodeRow {
  name: string;
  role: string;
  managementAddress: string;
  externalAddress: string;
  state: string;
}

const HEADERS = ['NAME', 'ROLE', 'MANAGEMENT', 'EXTERNAL', 'STATE'] as const;

/** Fixed-width columns, two spaces apart, no trailing blanks. */
export function nodeTable(rows: readonly NodeRow[]): string {
  const cells = [
    [...HEADERS],
    ...rows.map((r) => [r.name, r.role, r.managementAddress, r.externalAddress, r.state]),
  ];
  const widths = HEADERS.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

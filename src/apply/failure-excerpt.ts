/**
 * The part of a failed command's output a reader needs. The last lines are usually enough, but
 * apt-get ends with a summary ("Errors were encountered while processing: X") that names the
 * package and hides the reason: dpkg printed it earlier, as the maintainer script's own output
 * just before `dpkg: error processing package X (--configure):`, often hundreds of lines above
 * the end. So that block comes first, then the tail.
 */
import { tail } from '../errors.js';

/** Lines of a maintainer script's output kept before dpkg's error line. */
const BEFORE = 12;
const DPKG_ERROR = /^dpkg: error processing (package|archive) /;

/**
 * The lines that explain a failed command: dpkg's first error with what led to it (`block`
 * true), then the last `tailLines` lines; or only those last lines.
 */
export function failureExcerpt(output: string, tailLines = 15): { text: string; block: boolean } {
  const lines = output.trimEnd().split('\n');
  const first = lines.findIndex((l) => DPKG_ERROR.test(l));
  const tailStart = Math.max(0, lines.length - tailLines);
  if (first < 0 || first >= tailStart) return { text: tail(output, tailLines), block: false };
  const from = Math.max(0, first - BEFORE);
  // dpkg's error is two lines: the package, then what its script returned.
  const to = Math.min(first + 2, tailStart);
  const block = lines.slice(from, to);
  const gap = tailStart - to;
  const text = [...block, ...(gap > 0 ? [`… (${gap} line${gap === 1 ? '' : 's'} left out)`] : []), ...lines.slice(tailStart)].join('\n');
  return { text, block: true };
}

/** Suggests the closest known name for a misspelt one. */
import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `name`, when it is close enough to be a likely typo (edit distance
 * at most a fifth of the name's length, and at least 2), else undefined.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 5));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(name.toUpperCase(), c.toUpperCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

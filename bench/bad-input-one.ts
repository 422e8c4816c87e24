/**
 * One `cairn validate` in this process, then its peak memory: the child that
 * bench/bad-input-corpus.ts starts for each case. Prints `BENCH {"code":..,"maxRssKb":..}` last.
 */
import { main } from '../src/cli/main.js';

const [answer, inventory] = process.argv.slice(2);
const code = await main(['validate', '-a', answer ?? '', ...(inventory ? ['-i', inventory] : [])]);
process.stdout.write(`BENCH ${JSON.stringify({ code, maxRssKb: process.resourceUsage().maxRSS })}\n`);

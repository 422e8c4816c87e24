// Rewrites README.md's answer-file key reference from src/config/keys.ts (run: npm run docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { withKeysBlock } from '../dist/src/config/keys-doc.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withKeysBlock(readFileSync(path, 'utf8')));

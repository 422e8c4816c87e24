/** Moved to src/local/progress.ts; kept until src/cli/containers-command.ts imports it from there. */
export * from '../local/progress.js';

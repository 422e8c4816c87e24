/** Moved to src/local/docker-engine.ts; kept until src/cli/containers-command.ts imports it from there. */
export * from '../local/docker-engine.js';

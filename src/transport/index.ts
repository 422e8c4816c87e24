/** The transport layer's public API (the scripted fake is imported from fake-transport.js by unit tests only). */
export type { Command, PutOptions, RunResult, Transport, TransportLog } from './transport.js';
export { transportError, type TransportPhase } from './errors.js';
export { shQuote, shJoin, privilegedArgv, timeoutArgv, remoteCommandLine, redact, REDACTED } from './quote.js';
export { connectSsh, SshTransport, type SshOptions } from './ssh-transport.js';
export { LocalTransport, type LocalTransportOptions } from './local-transport.js';
export { TransportPool, withTransports, DEFAULT_FORKS, type HostResult, type Connect } from './pool.js';
export { fingerprint, checkHostKey, parseKnownHosts, readKnownHosts, appendKnownHost, type HostKeyVerdict } from './known-hosts.js';

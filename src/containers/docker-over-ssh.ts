/**
 * A node's Docker engine through the SSH connection cairn already holds to it.
 *
 * dockerode (docker-modem) honours an `agent` option for plain HTTP (docker-modem 5,
 * lib/modem.js: `if (this.agent) optionsf.agent = this.agent`). Its own `protocol: 'ssh'` is
 * not used on purpose: it opens a NEW SSH connection per HTTP connection and runs
 * `docker system dial-stdio` on it. Here the agent's createConnection opens one OpenSSH
 * streamlocal channel (`direct-streamlocal@openssh.com`, what `ssh -L x:/var/run/docker.sock`
 * uses) on the existing connection to the node's /var/run/docker.sock; HTTP keep-alive reuses
 * those channels, so a whole converge costs a few channels on one connection, no new logins.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { dockerode } from '../local/dockerode-lazy.js';
import type { SshTransport } from '../transport/ssh-transport.js';
import { containersError } from './errors.js';

/** The engine socket on a Debian node (docker.io's default). */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** How long a kept-alive channel may sit unused before cairn closes it (see sshSocketAgent). */
export const IDLE_CHANNEL_MS = 5_000;

/** An http.Agent whose connections are streamlocal channels on one SSH connection, and how many it opened. */
export interface SshSocketAgent {
  agent: http.Agent;
  /** Channels opened so far (one per HTTP connection; keep-alive reuses them). */
  channelsOpened(): number;
}

/**
 * node's http client and Agent call socket methods an SSH channel does not have (keep-alive
 * bookkeeping and timeouts); they are meaningless on a channel, whose liveness the SSH
 * connection's own keepalives watch, so they become no-ops.
 */
function asSocket(channel: Duplex): Duplex {
  const s = channel as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => s;
  }
  return s;
}

/** An agent whose connections come from `open` (one Unix-socket stream per HTTP connection). */
export function sshSocketAgent(open: () => Promise<Duplex>, host: string, socketPath = DOCKER_SOCKET): SshSocketAgent {
  let opened = 0;
  // Channels are not sessions (sshd's MaxSessions does not count them). node's Agent does not
  // count a connection it is still creating asynchronously, so maxSockets cannot bound a burst;
  // cairn issues few engine calls at once, and keep-alive plus maxFreeSockets keep the idle ones
  // few.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 2 });
  // A channel left idle for minutes (a node waiting while another loads images) was closed by
  // the far end just as the next request went out ("socket hang up"). An idle channel is
  // therefore closed here after IDLE_CHANNEL_MS, and the next call opens a fresh one.
  const idle = new WeakMap<object, NodeJS.Timeout>();
  agent.on('free', (socket: Duplex) => {
    clearTimeout(idle.get(socket));
    idle.set(socket, setTimeout(() => socket.destroy(), IDLE_CHANNEL_MS).unref());
  });
  const reuse = agent.reuseSocket.bind(agent);
  agent.reuseSocket = (socket, request) => {
    clearTimeout(idle.get(socket));
    reuse(socket, request);
  };
  agent.createConnection = (_options, callback) => {
    open().then(
      (channel) => {
        opened++;
        callback?.(null, asSocket(channel));
      },
      (err: Error) =>
        callback?.(containersError(`cannot reach the Docker engine at ${socketPath} through SSH: ${err.message} (is docker.io installed and running, and AllowStreamLocalForwarding not off in sshd?)`, host), undefined as unknown as Duplex),
    );
    return undefined;
  };
  return { agent, channelsOpened: () => opened };
}

/** A node's engine and the channel count of its agent. */
export interface NodeDocker {
  host: string;
  docker: Docker;
  channelsOpened(): number;
  /** Closes the kept-alive channels (the SSH connection stays: the transport owns it). */
  close(): void;
}

/** dockerode for the engine of the node `transport` is connected to, over that connection. */
export function nodeDocker(transport: SshTransport, socketPath = DOCKER_SOCKET): NodeDocker {
  const { agent, channelsOpened } = sshSocketAgent(() => transport.forwardUnix(socketPath), transport.host, socketPath);
  // host/port only fill the Host header: the agent decides where bytes go.
  const docker = new (dockerode())({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
  return { host: transport.host, docker, channelsOpened, close: () => agent.destroy() };
}

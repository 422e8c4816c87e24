/**
 * The transport interface: the only way cairn's apply, facts and health stages touch a host.
 *
 * Commands are data (argv arrays, never shell strings): quote.ts turns them into the one shell
 * string a remote sshd runs. Secrets never go on a command line; they travel on stdin or in
 * files written with put(), and every log line passes through redact().
 */

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Command {
  argv: string[];
  /** Bytes fed to the command's stdin (then EOF). Without it stdin is closed at once. */
  stdin?: string | Buffer;
  /** Secret values: must not occur in argv (checked), and are redacted from logs and errors. */
  secrets?: string[];
  /** Kill the command and throw a HostError after this long. */
  timeoutMs?: number;
}

export interface PutOptions {
  /** Octal mode, e.g. '0640' or '644'. */
  mode: string;
  owner: string;
  group: string;
}

export interface Transport {
  /** Host.name of the host this transport reaches. */
  readonly host: string;
  /**
   * Runs argv (through `sudo -n` when the host says sudo). Never throws for a non-zero exit;
   * throws HostError for connection loss, a timeout, or a sudo that wants a password.
   */
  run(cmd: Command): Promise<RunResult>;
  /**
   * Writes `content` to the absolute `path` atomically: a temp file in the same directory gets
   * the content, owner and mode, then is renamed over `path`. Parent directories are created.
   */
  put(path: string, content: string | Buffer, opts: PutOptions): Promise<void>;
  /** The file's bytes, or undefined when it does not exist. */
  get(path: string): Promise<Buffer | undefined>;
  /** sha256 (hex) of each path, undefined for an absent one, all in ONE remote command. */
  hashFiles(paths: string[]): Promise<Map<string, string | undefined>>;
  /** Closes the connection; later calls throw HostError (phase 'closed'). Idempotent. */
  close(): Promise<void>;
}

/** One line of transport log (already redacted). */
export type TransportLog = (line: string) => void;

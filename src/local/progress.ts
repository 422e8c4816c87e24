/**
 * Progress for long local work (lab up/down, image builds): one line per phase with the time
 * elapsed since the start, on stderr (stdout stays for tables and --json), and a log file with
 * every detail (command lines and their output) to read after a failure.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where progress lines go. */
export interface ProgressSink {
  write(text: string): unknown;
}

/** Phase lines with elapsed time, plus a detailed log file. */
export class Progress {
  readonly #start = Date.now();
  readonly #out: ProgressSink | undefined;
  readonly logFile: string | undefined;

  /** `out` undefined: quiet (tests); `logFile` undefined: no log file. */
  constructor(out: ProgressSink | undefined, logFile?: string) {
    this.#out = out;
    this.logFile = logFile;
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true });
      appendFileSync(logFile, `\n===== ${new Date().toISOString()} cairn ${process.argv.slice(2).join(' ')}\n`);
    }
  }

  /** Seconds since the start, for messages and timings. */
  elapsed(): number {
    return (Date.now() - this.#start) / 1000;
  }

  /** A phase line: `[  12.3s] message`, also logged. */
  phase(message: string): void {
    const line = `[${this.elapsed().toFixed(1).padStart(6)}s] ${message}`;
    this.#out?.write(`${line}\n`);
    this.log(line);
  }

  /** A warning line, also logged. */
  warn(message: string): void {
    this.#out?.write(`warning: ${message}\n`);
    this.log(`warning: ${message}`);
  }

  /** Details for the log file only. */
  log(text: string): void {
    if (!this.logFile) return;
    appendFileSync(this.logFile, text.endsWith('\n') ? text : `${text}\n`);
  }
}

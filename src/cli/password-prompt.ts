/** Reading a password on the controlling terminal, echo off (ssh-copy-id). */
import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { HostError } from '../errors.js';

/**
 * Asks for a password on the controlling terminal (/dev/tty, as OpenSSH does, so it works
 * even when stdin is redirected) with echo off: raw mode, nothing echoed, Backspace and
 * Ctrl-U edit, Enter ends, Ctrl-C or Ctrl-D on an empty line abort.
 */
export async function askPasswordOnTty(prompt: string): Promise<string> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync('/dev/tty', 'r');
    outFd = openSync('/dev/tty', 'w');
  } catch {
    throw new HostError('ssh-copy-id asks each host\'s password on a terminal, and there is none (no /dev/tty): run it from an interactive shell');
  }
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  try {
    output.write(prompt);
    input.setRawMode(true);
    return await new Promise<string>((resolve, reject) => {
      let chars: string[] = [];
      input.on('data', (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(chars.join(''));
          if (ch === '\u0003') return reject(new HostError('interrupted'));
          if (ch === '\u0004' && chars.length === 0) return reject(new HostError('no password given'));
          if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
          else if (ch === '\u0015') chars = [];
          else chars.push(ch);
        }
      });
      input.on('error', (e) => reject(new HostError(`cannot read the password from the terminal: ${e.message}`)));
    });
  } finally {
    try {
      input.setRawMode(false);
    } catch {
      // terminal already gone
    }
    output.write('\n');
    input.destroy(); // closes inFd
    output.destroy(); // closes outFd
  }
}

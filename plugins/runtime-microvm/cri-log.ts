import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** criLogLine writes one line of the CRI log format: time, stream, F (full) or P (partial), text. */
export function criLogLine(stream: string, tag: 'F' | 'P', text: string, at = new Date()): string {
  return `${at.toISOString()} ${stream} ${tag} ${text}\n`;
}

/** maxLineBytes is where a line without a newline is cut into a partial record. */
const maxLineBytes = 16 * 1024;

/**
 * CriLogFile turns a container's output chunks into CRI log lines in a host file: complete
 * lines as F records, a line longer than 16 KiB in P records, and what is left without a
 * newline when the process ends as a final F record.
 */
export class CriLogFile {
  #fd: number | undefined;
  readonly #pending: Record<string, string> = {};

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a');
  }

  /** write appends the lines a chunk completes. */
  write(stream: 'stdout' | 'stderr', data: Buffer): void {
    let text = (this.#pending[stream] ?? '') + data.toString('utf8');
    let out = '';
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      let line = text.slice(0, nl);
      for (; line.length > maxLineBytes; line = line.slice(maxLineBytes)) {
        out += criLogLine(stream, 'P', line.slice(0, maxLineBytes));
      }
      out += criLogLine(stream, 'F', line);
      text = text.slice(nl + 1);
    }
    while (text.length > maxLineBytes) {
      out += criLogLine(stream, 'P', text.slice(0, maxLineBytes));
      text = text.slice(maxLineBytes);
    }
    this.#pending[stream] = text;
    if (out && this.#fd !== undefined) writeSync(this.#fd, out);
  }

  /** close writes what is left of unfinished lines and closes the file. */
  close(): void {
    if (this.#fd === undefined) return;
    for (const [stream, rest] of Object.entries(this.#pending)) {
      if (rest) writeSync(this.#fd, criLogLine(stream, 'F', rest));
    }
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

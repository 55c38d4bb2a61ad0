import { createConnection, type Socket } from 'node:net';

/** QmpReply is one answer of qemu's machine protocol: a return value or an error. */
type QmpReply = { return?: unknown; error?: { class: string; desc: string } };

/**
 * QmpConnection speaks qemu's QMP (JSON objects, one per line, over a unix socket): it
 * negotiates capabilities on connect, then sends one command at a time and waits for its
 * answer, skipping the asynchronous events qemu interleaves.
 */
export class QmpConnection {
  readonly #socket: Socket;
  #buffer = '';
  #waiting: ((reply: QmpReply) => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#receive(chunk));
    socket.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiting.splice(0))
        w({ error: { class: 'Closed', desc: 'qemu closed QMP' } });
    });
    socket.on('error', () => {});
  }

  /** connect opens the QMP socket, reads the greeting and enters command mode. */
  static async connect(path: string, timeoutMs = 5_000): Promise<QmpConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP ${path}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const qmp = new QmpConnection(socket);
    // The greeting arrives unasked; it is answered like a command so the queue stays in step.
    await qmp.#next();
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  #receive(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (!line) continue;
      let msg: QmpReply & { event?: string; QMP?: unknown };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.event) continue;
      this.#waiting.shift()?.(msg);
    }
  }

  #next(): Promise<QmpReply> {
    return new Promise((resolve) => {
      if (this.#closed) resolve({ error: { class: 'Closed', desc: 'qemu closed QMP' } });
      else this.#waiting.push(resolve);
    });
  }

  /** execute runs one command and returns its value; a QMP error or a closed socket throws. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.#next();
    this.#socket.write(
      `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
    );
    const r = await reply;
    if (r.error) throw new Error(`QMP ${command}: ${r.error.class}: ${r.error.desc}`);
    return r.return;
  }

  /** close drops the connection (qemu keeps running). */
  close(): void {
    this.#socket.destroy();
  }
}

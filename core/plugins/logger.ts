import type { Logger } from '../../sdk/plugin.ts';

/** LogLevel is a logger threshold. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * streamLogger writes one line per record (`level msg key=value ...`) to a writable, by
 * default stderr so that command output on stdout stays clean.
 */
export function streamLogger(
  opts: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): Logger {
  const threshold = rank[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const base = opts.fields ?? {};
  const emit = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (rank[level] < threshold) return;
    const all = { ...base, ...fields };
    const tail = Object.entries(all)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    write(`${level} ${msg}${tail ? ` ${tail}` : ''}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** withFields returns a logger that adds fixed fields (such as the plugin id) to every record. */
export function withFields(logger: Logger, fixed: Record<string, unknown>): Logger {
  const wrap =
    (fn: Logger['info']) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      fn.call(logger, msg, { ...fixed, ...fields });
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
  };
}

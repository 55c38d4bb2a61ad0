/** Cron schedules as CronJob accepts them: five fields, or a @macro, ranges checked per field. */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const fields: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

function value(text: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function checkPart(part: string, spec: FieldSpec, index: number): string | undefined {
  const [range = '', step, extra] = part.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step)))
    return `${spec.name}: bad step in '${part}'`;
  if (range === '*' || (range === '?' && (index === 2 || index === 4))) return undefined;
  const [lo = '', hi] = range.split('-');
  const a = value(lo, spec);
  const b = hi === undefined ? a : value(hi, spec);
  if (a === undefined || b === undefined) return `${spec.name}: '${part}' is not a value`;
  if (a < spec.min || b > spec.max)
    return `${spec.name}: '${part}' is outside ${spec.min}-${spec.max}`;
  if (a > b) return `${spec.name}: '${part}' starts after it ends`;
  return undefined;
}

/** cronScheduleProblem returns why a schedule is not valid, or undefined when it is. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (/^(TZ|CRON_TZ)=/.test(s))
    return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(s)) return undefined;
  if (s.startsWith('@every')) {
    return /^@every\s+(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)
      ? undefined
      : `bad duration in '${s}'`;
  }
  if (s.startsWith('@')) return `unrecognized descriptor: ${s}`;
  const parts = s.split(/\s+/);
  if (parts.length !== 5)
    return `expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`;
  for (const [i, field] of parts.entries()) {
    const spec = fields[i];
    if (spec === undefined) continue;
    for (const part of field.split(',')) {
      const problem = checkPart(part, spec, i);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

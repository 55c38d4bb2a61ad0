import { describe, expect, it } from 'vitest';
import { cronScheduleProblem } from './cron.ts';

describe('cronScheduleProblem', () => {
  it.each([
    '* * * * *',
    '*/5 * * * *',
    '0 3 * * *',
    '0 0 1 1 *',
    '59 23 31 12 6',
    '0 9-17/2 * * MON-FRI',
    '0 0 ? JAN,JUL SUN',
    '15,45 * * * *',
    '@hourly',
    '@daily',
    '@every 1h30m',
  ])('accepts %j', (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
  });

  it.each([
    ['every minute', 'expected exactly 5 fields'],
    ['* * * *', 'expected exactly 5 fields, found 4'],
    ['60 * * * *', "minute: '60' is outside 0-59"],
    ['* 24 * * *', "hour: '24' is outside 0-23"],
    ['* * 0 * *', "day of month: '0' is outside 1-31"],
    ['* * * 13 *', "month: '13' is outside 1-12"],
    ['* * * * 7', "day of week: '7' is outside 0-6"],
    ['5-1 * * * *', 'starts after it ends'],
    ['*/0 * * * *', 'bad step'],
    ['? * * * *', "minute: '?' is not a value"],
    ['* * * FOO *', "month: 'FOO' is not a value"],
    ['@fortnightly', 'unrecognized descriptor'],
    ['@every soon', 'bad duration'],
    ['TZ=UTC 0 * * * *', 'use timeZone field instead'],
  ])('rejects %j', (schedule, problem) => {
    expect(cronScheduleProblem(schedule)).toContain(problem);
  });
});

import 'reflect-metadata';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parsePercentage, schedulerProfiles } from './scheduler.ts';

describe('skiff scheduler --percentage-of-nodes-to-score', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['100', 100],
  ])('accepts %s', (v, want) => {
    expect(parsePercentage(v)).toBe(want);
  });

  it.each(['101', '-1', '12.5', 'half', ''])('refuses %j with a usage error', (v) => {
    expect(() => parsePercentage(v)).toThrow(InvalidArgumentError);
    expect(() => parsePercentage(v)).toThrow('must be a whole number from 0 to 100');
  });

  it('puts the share into every profile, and leaves it adaptive when not given', () => {
    const set = schedulerProfiles(['default-scheduler', 'batch'], [], 30);
    expect(set.map((p) => [p.schedulerName, p.percentageOfNodesToScore])).toEqual([
      ['default-scheduler', 30],
      ['batch', 30],
    ]);
    expect(schedulerProfiles(['default-scheduler'], [])[0]?.percentageOfNodesToScore).toBe(
      undefined,
    );
  });
});

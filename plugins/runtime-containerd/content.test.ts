import { describe, expect, it } from 'vitest';
import { chainIds, sha256 } from './content.ts';

describe('chainIds', () => {
  const a = sha256('a');
  const b = sha256('b');
  const c = sha256('c');
  it.each([
    { diffIds: [], chain: [] },
    { diffIds: [a], chain: [a] },
    { diffIds: [a, b], chain: [a, sha256(`${a} ${b}`)] },
    { diffIds: [a, b, c], chain: [a, sha256(`${a} ${b}`), sha256(`${sha256(`${a} ${b}`)} ${c}`)] },
  ])(
    'names the snapshot of each layer after all below it ($diffIds.length layers)',
    ({ diffIds, chain }) => {
      expect(chainIds(diffIds)).toEqual(chain);
    },
  );
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// CONTRIBUTING.md's "Writing a plugin" shows the example plugin; these checks keep the two
// from drifting apart (the loader and CLI tests run the example itself).
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const guide = (() => {
  const text = read('CONTRIBUTING.md');
  const start = text.indexOf('\n## Writing a plugin\n');
  return text.slice(start, text.indexOf('\n## ', start + 1));
})();
const blocks = (lang: string) =>
  [...guide.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) =>
    (m[1] ?? '').replace(/^ {3}/gm, ''),
  );

describe('the "Writing a plugin" walk-through', () => {
  it('exists', () => {
    expect(guide.length).toBeGreaterThan(100);
  });

  it('shows code that appears, line by line and in order, in test/plugins/prefer-labelled.ts', () => {
    const source = read('test/plugins/prefer-labelled.ts')
      .split('\n')
      .map((l) => l.trim());
    const snippets = blocks('ts');
    expect(snippets.length).toBeGreaterThan(0);
    for (const snippet of snippets) {
      let at = 0;
      for (const line of snippet
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        const found = source.indexOf(line, at);
        expect(
          found,
          `walk-through line not in the example (or out of order): ${line}`,
        ).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    }
  });

  it('shows the cluster config of test/plugins/example.yaml', () => {
    expect(blocks('yaml')).toEqual([read('test/plugins/example.yaml')]);
  });
});

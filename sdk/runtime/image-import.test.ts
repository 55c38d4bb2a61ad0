import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canImportImages, imageArchivesIn, importImageDirectory } from './image-import.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-image-import-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importImageDirectory', () => {
  it('imports every .tar of the directory in name order and skips other files', async () => {
    const images = join(dir, 'images');
    mkdirSync(images);
    for (const f of ['b.tar', 'a.tar', 'notes.txt']) writeFileSync(join(images, f), '');
    mkdirSync(join(images, 'folder.tar'));
    const seen: string[] = [];
    const importer = {
      importImages: async (path: string) => {
        seen.push(path);
        return [`example.test/${path.endsWith('a.tar') ? 'a' : 'b'}:1`];
      },
    };
    expect(await importImageDirectory(importer, images)).toEqual([
      { file: join(images, 'a.tar'), images: ['example.test/a:1'] },
      { file: join(images, 'b.tar'), images: ['example.test/b:1'] },
    ]);
    expect(seen).toEqual([join(images, 'a.tar'), join(images, 'b.tar')]);
  });

  it('finds nothing in a directory that does not exist', () => {
    expect(imageArchivesIn(join(dir, 'absent'))).toEqual([]);
  });

  it.each([
    [{ importImages: async () => [] }, true],
    [{}, false],
    [{ importImages: 'no' }, false],
  ])('canImportImages(%o) is %s', (value, expected) => {
    expect(canImportImages(value)).toBe(expected);
  });
});

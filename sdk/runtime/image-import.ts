import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ImageImporter is a runtime adapter that can load image tarballs (a `docker save` archive or
 * an OCI image layout, several images per file allowed) into its image store. The CRI has no
 * such rpc, so `skiff image import` and `skiff up` reach it through the adapter object itself.
 */
export interface ImageImporter {
  /** importImages loads one tarball and returns the fully qualified names it held. */
  importImages(archivePath: string): Promise<string[]>;
}

/** canImportImages tells whether an adapter implements ImageImporter. */
export function canImportImages(adapter: object): adapter is ImageImporter {
  return typeof (adapter as Partial<ImageImporter>).importImages === 'function';
}

/** ImportedArchive says which names one tarball brought in. */
export interface ImportedArchive {
  file: string;
  images: string[];
}

/** imageArchivesIn lists the tarball files (`*.tar`) of a directory, sorted; none when it is absent. */
export function imageArchivesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.tar'))
      .map((e) => e.name)
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** importImageDirectory imports every tarball of a directory (an air-gapped node's images/). */
export async function importImageDirectory(
  importer: ImageImporter,
  dir: string,
): Promise<ImportedArchive[]> {
  const out: ImportedArchive[] = [];
  for (const file of imageArchivesIn(dir))
    out.push({ file, images: await importer.importImages(file) });
  return out;
}

/**
 * importOnlyOption is the config key (value true) a runtime factory receives when its adapter
 * is made only to import images, next to a served adapter: it must start no background work
 * (log copies, streaming server) that the served one already does.
 */
export const importOnlyOption = 'skiff.importOnly';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../core/store/open-store.ts';
import { storeConformance } from './suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-store-sqlite-'));

storeConformance('embedded sqlite', {
  open: async () => openStore(`sqlite:${join(dir, 'state.db')}`, { ttlSweepMs: 200 }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});

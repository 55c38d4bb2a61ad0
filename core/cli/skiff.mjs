#!/usr/bin/env node
// The `skiff` command. skiff runs its TypeScript sources directly through tsx's loader, with
// the repository's tsconfig (legacy parameter decorators for tsyringe's `@inject`).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
register({ tsconfig: join(root, 'tsconfig.json') });
const { main } = await import('./main.ts');
await main(process.argv);

// tsyringe needs the Reflect metadata API before it loads; importing it here means a plugin
// that takes its injection helpers from the sdk never has to know.
import 'reflect-metadata';

// The injection helpers a plugin uses, re-exported so that a plugin depends on the sdk alone.
// No decorator metadata is emitted, so every constructor parameter names its token:
// `constructor(@inject(clockToken) clock: Clock)` on a class marked `@injectable()`.
export type { DependencyContainer } from 'tsyringe';
export { inject, injectable } from 'tsyringe';

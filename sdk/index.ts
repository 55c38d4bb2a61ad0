export * from './errors.ts';
export * from './plugin.ts';
export { sdkVersion } from './version.ts';

export { sdkVersion } from './version.ts';

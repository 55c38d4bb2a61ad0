// Services end to end on the micro-VM runtime (one qemu VM per pod, software emulation here),
// inside a network namespace: the core cases only, since every pod boots a VM.
import { servicesSuite } from './services-suite.ts';

servicesSuite('microvm', 'core');

// Services end to end on the containerd runtime (skiff up's default), inside a network namespace.
import { servicesSuite } from './services-suite.ts';

servicesSuite('containerd');

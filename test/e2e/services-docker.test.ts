// Services end to end on the Docker adapter, with a private dockerd inside the node's network
// namespace.
import { servicesSuite } from './services-suite.ts';

servicesSuite('docker');

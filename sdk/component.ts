import type { Logger } from './plugin.ts';
import { defineExtensionKind } from './plugin.ts';

/**
 * The component contract: a long-running part of the control plane that is not a controller
 * reconciling one kind by key (the garbage collector follows every kind the server serves; a
 * DNS server answers on a port). Whoever runs the control plane (`skiff up`) starts every
 * provided component once the API server answers, under the same leadership as the
 * controllers, and stops it by aborting the signal.
 */

/** ComponentContext is what a component receives when it is started. */
export interface ComponentContext {
  /** signal aborts when the component must stop (shutdown, or leadership lost). */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** ControlPlaneComponent is one long-running piece of the control plane. */
export interface ControlPlaneComponent {
  /**
   * run works until the signal aborts, then releases what it holds and resolves. Expected
   * trouble (a server not answering yet) is retried inside; a rejection is a fault the runner
   * logs.
   */
  run(ctx: ComponentContext): Promise<void>;
}

/** componentExtension is the extension kind `component/<name>`. */
export const componentExtension = defineExtensionKind<ControlPlaneComponent>('component');

// An example third-party plugin, loaded by path. CONTRIBUTING.md's "Writing a plugin" walks
// through this file; core/plugins/loader.test.ts loads it.
import {
  type Clock,
  type CycleState,
  clockToken,
  definePlugin,
  inject,
  injectable,
  maxNodeScore,
  minNodeScore,
  type NodeInfo,
  pluginConfigToken,
  type SchedulingPod,
  type ScorePlugin,
  schedulerPluginExtension,
  success,
} from '../../sdk/index.ts';

/** PreferLabelled scores nodes that carry a chosen label above the others. */
@injectable()
export class PreferLabelled implements ScorePlugin {
  readonly name = 'PreferLabelled';
  readonly label: string;

  constructor(
    @inject(pluginConfigToken) config: Readonly<Record<string, unknown>>,
    @inject(clockToken) readonly clock: Clock,
  ) {
    this.label = typeof config.label === 'string' ? config.label : 'skiff.dev/preferred';
  }

  async score(_state: CycleState, _pod: SchedulingPod, info: NodeInfo) {
    const labels = info.node.metadata.labels ?? {};
    return { status: success, score: this.label in labels ? maxNodeScore : minNodeScore };
  }
}

export default definePlugin({
  id: 'prefer-labelled',
  version: '1.0.0',
  sdk: '^1.0.0',
  description: 'scores nodes carrying a chosen label highest',
  provides: ['scheduler-plugin/PreferLabelled'],
  requires: ['core.clock'],
  register(ctx) {
    if (ctx.config.label !== undefined && typeof ctx.config.label !== 'string') {
      throw new Error(`config.label must be a string, not ${JSON.stringify(ctx.config.label)}`);
    }
    const plugin = ctx.container.resolve(PreferLabelled);
    ctx.provide(schedulerPluginExtension, plugin.name, plugin);
    ctx.logger.info('registered', { label: plugin.label });
    ctx.onClose(() => ctx.logger.info('closed'));
  },
});

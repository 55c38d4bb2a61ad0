// The bundled controller's IngressClass, made at start as k3s does for its own controller, so
// an Ingress that names no class (as most tutorials' do) is served on a fresh cluster.
import { type api, type KubeClient, type Logger, SkiffError } from '../../sdk/index.ts';

const classes = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' };
const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';

/**
 * ensureIngressClass creates the IngressClass `name` for `controller` when it is absent,
 * marked as the cluster's default unless another class already is. An existing class of that
 * name is left as it is: the cluster's administrators own it from then on.
 */
export async function ensureIngressClass(
  client: KubeClient,
  name: string,
  controller: string,
  logger?: Logger,
): Promise<'created' | 'exists'> {
  const existing = await client.list<api.IngressClass>(classes);
  if (existing.items.some((c) => c.metadata?.name === name)) return 'exists';
  const otherDefault = existing.items.some(
    (c) => c.metadata?.annotations?.[defaultClassAnnotation] === 'true',
  );
  try {
    await client.create<api.IngressClass>(classes, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name,
        ...(otherDefault ? {} : { annotations: { [defaultClassAnnotation]: 'true' } }),
      },
      spec: { controller },
    });
  } catch (err) {
    if (err instanceof SkiffError && err.code === 'AlreadyExists') return 'exists';
    throw err;
  }
  logger?.info('created IngressClass', { name, default: !otherDefault });
  return 'created';
}

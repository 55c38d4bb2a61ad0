import { isSkiffError } from '../../sdk/errors.ts';
import type { ObjectService } from './object-service.ts';
import type { ResourceRegistry } from './resources.ts';

/** systemNamespaces are the namespaces every Kubernetes cluster has. */
export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** bootstrapNamespaces creates the system namespaces that are missing. */
export async function bootstrapNamespaces(
  objects: ObjectService,
  registry: ResourceRegistry,
): Promise<void> {
  const res = registry.find('', 'v1', 'namespaces');
  if (res === undefined) return;
  for (const name of systemNamespaces) {
    try {
      await objects.create(
        res,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { fieldValidation: 'Strict', dryRun: false, warnings: [] },
      );
    } catch (err) {
      if (!isSkiffError(err, 'AlreadyExists')) throw err;
    }
  }
}

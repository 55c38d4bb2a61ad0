import {
  type FetchOptions,
  fetchImage,
  type RegistryAuth,
} from '../../sdk/runtime/registry-pull.ts';
import type { ContainerdClient } from './client.ts';
import { checkedRef, storeImage } from './images.ts';

export type { RegistryAuth } from '../../sdk/runtime/registry-pull.ts';

/**
 * pullImage fetches an image from its registry (sdk fetchImage: the distribution HTTP API,
 * digests checked) and stores it as an import does. It returns the image id.
 */
export async function pullImage(
  client: ContainerdClient,
  reference: string,
  auth: RegistryAuth = {},
  options: FetchOptions = {},
): Promise<string> {
  const name = checkedRef(reference);
  const image = await fetchImage(name, auth, options);
  return storeImage(client, [name], image.config, image.layers, image.manifest);
}

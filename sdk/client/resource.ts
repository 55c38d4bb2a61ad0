/** ResourceRef names a resource collection: group ('' for the core group), version, plural, namespace. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** namespace limits the request to one namespace; absent for cluster-scoped kinds or all namespaces. */
  readonly namespace?: string;
}

/** ListOptions are the query parameters of a list. */
export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

/** WatchOptions are the query parameters of a watch. */
export interface WatchOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** resourceVersion is the version to watch from; events after it are sent. */
  readonly resourceVersion?: string;
  readonly timeoutSeconds?: number;
  readonly allowWatchBookmarks?: boolean;
  /** signal ends the watch from the caller's side. */
  readonly signal?: AbortSignal;
}

/** resourcePath is the URL path of a collection, or of one object when a name is given. */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  const root = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  let path = `${root}${ns}/${ref.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** queryString encodes the defined options as a query string, with its leading `?` when not empty. */
export function queryString(
  options: Record<string, string | number | boolean | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(options))
    if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

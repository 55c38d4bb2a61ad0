// Queue keys of objects: what informers, caches and runners agree an object is called.
/** keyOf is the queue key of an object: `namespace/name`, or `name` for cluster-scoped ones. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** parseKey splits a queue key back into its namespace ('' when cluster-scoped) and name. */
export function parseKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

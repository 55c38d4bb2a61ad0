import { SkiffError } from '../../sdk/errors.ts';
import { EtcdStore, type EtcdStoreOptions } from './etcd-store.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** OpenStoreOptions are the tuning options of either backend. */
export type OpenStoreOptions = SqliteStoreOptions & EtcdStoreOptions;

/** StoreSpec is a parsed `--store` value. */
export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'etcd'; hosts: string[] };

/**
 * parseStoreSpec reads a `--store` value: `sqlite:/path/to/file.db` or
 * `etcd:http://h1:2379,http://h2:2379`. A bad value is a BadRequest naming the accepted forms.
 */
export function parseStoreSpec(spec: string): StoreSpec {
  const bad = (why: string) =>
    new SkiffError(
      'BadRequest',
      `--store ${JSON.stringify(spec)}: ${why}; use sqlite:/path/to/file.db or etcd:http://host:2379[,http://host:2379...]`,
    );
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') throw bad('the sqlite file path is empty');
    return { kind: 'sqlite', path };
  }
  if (spec.startsWith('etcd:')) {
    const hosts = spec.slice('etcd:'.length).split(',');
    for (const host of hosts) {
      let url: URL;
      try {
        url = new URL(host);
      } catch {
        throw bad(`${JSON.stringify(host)} is not a URL`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '') {
        throw bad(`${JSON.stringify(host)} must be http(s)://host:port`);
      }
    }
    return { kind: 'etcd', hosts };
  }
  throw bad('unknown store kind');
}

/** openStore opens the store a `--store` value names. */
export function openStore(spec: string, options: OpenStoreOptions = {}): Store {
  const parsed = parseStoreSpec(spec);
  return parsed.kind === 'sqlite'
    ? new SqliteStore(parsed.path, options)
    : new EtcdStore(parsed.hosts, options);
}

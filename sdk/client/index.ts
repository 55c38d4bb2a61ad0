// The typed Kubernetes REST client: kubeconfig reading, CRUD, patch and watch.
export * from './client.ts';
export * from './client-token.ts';
export * from './discovery.ts';
export * from './kubeconfig.ts';
export * from './resource.ts';
export * from './status-error.ts';
export * from './watch-stream.ts';

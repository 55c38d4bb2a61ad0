import type { FastifyInstance } from 'fastify';

const buckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/** RequestKey names what a request did, as the labels of Kubernetes' apiserver_request metrics. */
interface RequestKey {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
}

/** requestKey reads the verb and resource of an API request from its method, path and query. */
export function requestKey(method: string, url: string): RequestKey | undefined {
  const [path = '', query = ''] = url.split('?');
  const segs = path.split('/').filter((s) => s !== '');
  let rest: string[];
  let group = '';
  let version = '';
  if (segs[0] === 'api' && segs.length >= 2) {
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource = ''] = rest;
  const watch = /(^|&)watch=(true|1)(&|$)/.test(query);
  const verb =
    method === 'GET'
      ? watch
        ? 'WATCH'
        : name === undefined
          ? 'LIST'
          : 'GET'
      : method === 'DELETE' && name === undefined
        ? 'DELETECOLLECTION'
        : method === 'POST'
          ? 'CREATE'
          : method;
  return { verb, group, version, resource, subresource };
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** RequestMetrics counts requests and their latency, printed in Prometheus' text format. */
export class RequestMetrics {
  readonly #counts = new Map<string, number>();
  readonly #latency = new Map<string, Series>();
  readonly #inflight = new Map<string, number>();

  /** observe records one finished request. */
  observe(key: RequestKey, code: number, seconds: number): void {
    const base = `verb="${label(key.verb)}",group="${label(key.group)}",version="${label(key.version)}",resource="${label(key.resource)}",subresource="${label(key.subresource)}"`;
    const counted = `${base},code="${code}"`;
    this.#counts.set(counted, (this.#counts.get(counted) ?? 0) + 1);
    const series = this.#latency.get(base) ?? { count: 0, sum: 0, buckets: buckets.map(() => 0) };
    series.count += 1;
    series.sum += seconds;
    buckets.forEach((b, i) => {
      if (seconds <= b) series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    });
    this.#latency.set(base, series);
  }

  /** track counts a request in flight until the returned function is called. */
  track(kind: 'mutating' | 'readOnly'): () => void {
    this.#inflight.set(kind, (this.#inflight.get(kind) ?? 0) + 1);
    return () => this.#inflight.set(kind, (this.#inflight.get(kind) ?? 1) - 1);
  }

  /** text prints every metric in the Prometheus exposition format. */
  text(): string {
    const out: string[] = [
      '# HELP apiserver_request_total Counter of API requests by verb, resource and HTTP code.',
      '# TYPE apiserver_request_total counter',
    ];
    for (const [k, v] of this.#counts) out.push(`apiserver_request_total{${k}} ${v}`);
    out.push(
      '# HELP apiserver_request_duration_seconds Latency of API requests by verb and resource.',
      '# TYPE apiserver_request_duration_seconds histogram',
    );
    for (const [k, s] of this.#latency) {
      for (const [i, b] of buckets.entries())
        out.push(`apiserver_request_duration_seconds_bucket{${k},le="${b}"} ${s.buckets[i]}`);
      out.push(`apiserver_request_duration_seconds_bucket{${k},le="+Inf"} ${s.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${k}} ${s.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${k}} ${s.count}`);
    }
    out.push(
      '# HELP apiserver_current_inflight_requests API requests being served, read-only or mutating.',
      '# TYPE apiserver_current_inflight_requests gauge',
    );
    for (const kind of ['mutating', 'readOnly'])
      out.push(
        `apiserver_current_inflight_requests{request_kind="${kind}"} ${this.#inflight.get(kind) ?? 0}`,
      );
    return `${out.join('\n')}\n`;
  }
}

/** registerMetrics records every API request (watches included, when they end) and serves /metrics. */
export function registerMetrics(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onRequest', async (req, reply) => {
    const begun = process.hrtime.bigint();
    const done = metrics.track(req.method === 'GET' ? 'readOnly' : 'mutating');
    // The raw response's close also fires for hijacked replies (watches), unlike onResponse.
    reply.raw.once('close', () => {
      done();
      const key = requestKey(req.method, req.url);
      if (key !== undefined)
        metrics.observe(key, reply.raw.statusCode, Number(process.hrtime.bigint() - begun) / 1e9);
    });
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.text()),
  );
}

// A closed-loop HTTP load generator, run inside the bench node's network namespace: N workers,
// each with one request in flight, a new TCP connection per request unless keepAlive, for a
// fixed time, spread round-robin over the given URLs. Prints one JSON line of figures.
import http from 'node:http';

const { urls, concurrency, durationMs, keepAlive } = JSON.parse(process.argv[2] ?? '{}');
const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
const samples = [];
let errors = 0;
let next = 0;
const deadline = performance.now() + durationMs;

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const url = urls[next++ % urls.length];
      const s = performance.now();
      try {
        await get(url);
        samples.push(performance.now() - s);
      } catch {
        errors++;
      }
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
agent.destroy();
process.stdout.write(`${JSON.stringify({ requests: samples.length, errors, seconds, samples })}\n`);

import WebSocket from 'ws';

/** StreamResult is what an exec over the streaming server produced. */
export interface StreamResult {
  stdout: string;
  stderr: string;
  /** status is the JSON the error channel carried (a Kubernetes Status), if any. */
  status:
    | {
        status?: string;
        reason?: string;
        details?: { causes?: { reason?: string; message?: string }[] };
      }
    | undefined;
}

/**
 * execOverWebSocket runs a prepared exec by connecting to its streaming URL with the
 * `v4.channel.k8s.io` WebSocket protocol (the one kubectl and the API server speak to a
 * kubelet-style streaming server): each binary frame starts with its channel number, 1 stdout,
 * 2 stderr, 3 the final status.
 */
export function execOverWebSocket(url: string, timeoutMs = 30_000): Promise<StreamResult> {
  const wsUrl = url.replace(/^http/, 'ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, ['v4.channel.k8s.io']);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let status: StreamResult['status'];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`exec stream ${url} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === 1) out.push(payload);
      else if (channel === 2) err.push(payload);
      else if (channel === 3 && payload.length > 0) status = JSON.parse(payload.toString('utf8'));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        status,
      });
    });
  });
}

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { joinHostPort, probeUserAgent } from './network.ts';
import type { ProbeOutcome } from './outcome.ts';

// The standard gRPC health protocol (grpc.health.v1): one request field, one enum answer.
const healthRoot = protobuf.parse(`
  syntax = "proto3";
  package grpc.health.v1;
  message HealthCheckRequest { string service = 1; }
  message HealthCheckResponse {
    enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
    ServingStatus status = 1;
  }
`).root;
const HealthCheckRequest = healthRoot.lookupType('grpc.health.v1.HealthCheckRequest');
const HealthCheckResponse = healthRoot.lookupType('grpc.health.v1.HealthCheckResponse');

/** healthCheckPath is the method a gRPC probe calls. */
export const healthCheckPath = '/grpc.health.v1.Health/Check';

/** healthCheckCodec encodes and decodes the health check's messages (the probe's, and test servers'). */
export const healthCheckCodec = {
  encodeRequest: (req: { service: string }) =>
    Buffer.from(HealthCheckRequest.encode(HealthCheckRequest.fromObject(req)).finish()),
  decodeRequest: (buf: Buffer) =>
    HealthCheckRequest.toObject(HealthCheckRequest.decode(buf), { defaults: true }) as {
      service: string;
    },
  encodeResponse: (res: { status: string }) =>
    Buffer.from(HealthCheckResponse.encode(HealthCheckResponse.fromObject(res)).finish()),
  decodeResponse: (buf: Buffer) =>
    HealthCheckResponse.toObject(HealthCheckResponse.decode(buf), {
      defaults: true,
      enums: String,
    }) as { status: string },
};

// Go spells status codes in CamelCase in its error text; kubelet's messages carry that text.
const goCodeNames = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/**
 * grpcHealthProbe calls grpc.health.v1.Health/Check on host:port (plaintext, as kubelet
 * does) and succeeds when the answer is SERVING; every other outcome is a failure.
 */
export async function grpcHealthProbe(
  host: string,
  port: number,
  service: string,
  timeoutSeconds: number,
): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': probeUserAgent,
  });
  try {
    const connected = await new Promise<boolean>((resolve) =>
      client.waitForReady(deadline, (err) => resolve(!err)),
    );
    if (!connected)
      return {
        result: 'failure',
        output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${timeoutSeconds}s: context deadline exceeded`,
      };
    const answer = await new Promise<{ status: string } | grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        healthCheckPath,
        healthCheckCodec.encodeRequest,
        healthCheckCodec.decodeResponse,
        { service },
        new grpc.Metadata(),
        { deadline },
        (err, res) => resolve(err ?? res ?? { status: 'UNKNOWN' }),
      );
    });
    if (answer instanceof Error) {
      if (answer.code === grpc.status.UNIMPLEMENTED)
        return {
          result: 'failure',
          output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.details}`,
        };
      if (answer.code === grpc.status.DEADLINE_EXCEEDED)
        return {
          result: 'failure',
          output: `timeout: health rpc did not complete within ${timeoutSeconds}s`,
        };
      const code = goCodeNames[answer.code] ?? `Code(${answer.code})`;
      return {
        result: 'failure',
        output: `error: health rpc probe failed: rpc error: code = ${code} desc = ${answer.details}`,
      };
    }
    if (answer.status !== 'SERVING')
      return {
        result: 'failure',
        output: `service unhealthy (responded with ${JSON.stringify(answer.status)})`,
      };
    return { result: 'success', output: 'service healthy' };
  } finally {
    client.close();
  }
}

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { retentionTag } from '../../lib/protocol/recording.js';

/**
 * Where recordings are kept: an S3 bucket (SSE-KMS on AWS; s3rver locally). The proxy is the only reader and
 * writer; the API hands it the key prefix of each recording, so a tenant's recording is only ever written and
 * read under that tenant's prefix (lib/protocol/recording.ts has the layout).
 */
export interface RecordingStorage {
  /** Stores one object, tagged with its retention; resolves once S3 has it (the chunk is then acknowledged). */
  put(key: string, body: Uint8Array, retentionDays: number, contentType?: string): Promise<void>;
  /** Every key under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Uint8Array>;
}

export interface RecordingStorageConfig {
  bucket: string;
  /** An S3-API endpoint other than AWS's (s3rver locally); path-style addressing then. */
  endpoint?: string;
  region?: string;
  /** SSE-KMS with this key (id, ARN or alias); without it, the bucket's default encryption applies. */
  kmsKeyId?: string;
  /** Static credentials (local s3rver only); on AWS the default chain (the ECS task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long one S3 call may take before it counts as a failure. */
  timeoutMs?: number;
}

export function s3RecordingStorage(config: RecordingStorageConfig): RecordingStorage {
  const s3 = new S3Client({
    region: config.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // The recorder retries on its own schedule (a chunk stays queued until stored): one quick attempt here.
    maxAttempts: 1,
    // No CRC32 of every chunk by default: TLS already guards the body in transit, and hashing each MiB again
    // costs the proxy CPU that its consoles need (bench/recording.ts).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    // No "Expect: 100-continue" before a large chunk: a round trip more per PUT, and the PUTs of a recording go
    // one at a time. A refused PUT (which is what the header saves the body of) is rare here.
    expectContinueHeader: false,
  });
  // The same reason for not hashing the body into the signature (SigV4's UNSIGNED-PAYLOAD, which S3 accepts):
  // SHA-256 of every chunk was the recorder's largest cost. The signature still covers the key, the tag, the
  // encryption headers and the time.
  s3.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'unsignedPayload' },
  );
  const signal = () => AbortSignal.timeout(config.timeoutMs ?? 10_000);
  const encryption = config.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: config.kmsKeyId } : {};
  return {
    async put(key, body, retentionDays, contentType = 'application/octet-stream') {
      await s3.send(
        new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body, ContentType: contentType, Tagging: retentionTag(retentionDays), ...encryption }),
        { abortSignal: signal() },
      );
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal() });
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async get(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }), { abortSignal: signal() });
      return object.Body!.transformToByteArray();
    },
  };
}

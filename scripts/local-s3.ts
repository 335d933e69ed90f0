/**
 * The local S3: a real S3-API server (s3rver, from the npm registry) started by the project itself, as dynalite
 * stands in for DynamoDB, with the recording bucket the proxy fleet's template declares. Used by `npm start`,
 * the test suite and the benchmark. Objects live in `directory` (a temporary folder unless named).
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface LocalS3 {
  endpoint: string;
  port: number;
  bucket: string;
  directory: string;
  close(): Promise<void>;
}

/** The local recording bucket's name (on AWS the fleet template names it per stage). */
export const LOCAL_RECORDING_BUCKET = 'console-recordings';

/** Credentials s3rver accepts (it checks the signature's shape, not the key). */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startLocalS3(options: { port?: number; directory?: string; bucket?: string } = {}): Promise<LocalS3> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'console-broker-s3-'));
  mkdirSync(directory, { recursive: true });
  const bucket = options.bucket ?? LOCAL_RECORDING_BUCKET;
  const server = new S3rver({ address: '127.0.0.1', port: options.port ?? 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    directory,
    async close() {
      await server.close();
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}

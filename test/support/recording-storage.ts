/**
 * The local S3 (scripts/local-s3.ts: s3rver with the recording bucket) for the recording tests, one per test
 * file: starting one takes milliseconds, and a file that takes its storage away (to see what a recording does
 * then) must not take it from the files running beside it. `stop` and `start` keep the port and the objects,
 * as an S3 endpoint that goes away for a while and comes back.
 */
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChunk, FROM_BROWSER, FROM_VM, headerKey, type RecordedFrame, type RecordingHeader } from '../../lib/protocol/recording.js';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../scripts/local-s3.js';
import { s3RecordingStorage, type RecordingStorage, type RecordingStorageConfig } from '../../proxy/recording/storage.js';

export interface RecordingStorageForTests {
  /** What the proxy is configured with (proxy/config.ts `recording`). */
  config: RecordingStorageConfig;
  storage: RecordingStorage;
  endpoint: string;
  /** Takes the S3 endpoint away (nothing listens on its port until `start`). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The recording under `keyPrefix`, read back as playback reads it. */
  read(keyPrefix: string): Promise<StoredRecording>;
  /** The object's tags, as S3 returns them. */
  tags(key: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface StoredRecording {
  keys: string[];
  header: RecordingHeader;
  frames: RecordedFrame[];
  /** Every payload in one direction, concatenated in order. */
  bytes(direction: typeof FROM_VM | typeof FROM_BROWSER): Buffer;
}

export async function startRecordingStorage(): Promise<RecordingStorageForTests> {
  const directory = mkdtempSync(join(tmpdir(), 'recording-s3-'));
  let s3: LocalS3 | undefined = await startLocalS3({ directory });
  const { port, bucket, endpoint } = s3;
  const config: RecordingStorageConfig = { bucket, endpoint, credentials: LOCAL_S3_CREDENTIALS, timeoutMs: 5_000 };
  const storage = s3RecordingStorage(config);
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS });
  return {
    config,
    storage,
    endpoint,
    async stop() {
      await s3?.close();
      s3 = undefined;
    },
    async start() {
      s3 ??= await startLocalS3({ directory, port });
    },
    async read(keyPrefix) {
      const keys = await storage.list(keyPrefix);
      const header = JSON.parse(Buffer.from(await storage.get(headerKey(keyPrefix))).toString('utf8')) as RecordingHeader;
      const frames: RecordedFrame[] = [];
      for (const key of keys.filter((key) => key !== headerKey(keyPrefix))) frames.push(...decodeChunk(await storage.get(key)));
      return {
        keys,
        header,
        frames,
        bytes: (direction) => Buffer.concat(frames.filter((frame) => frame.direction === direction).map((frame) => frame.payload)),
      };
    },
    async tags(key) {
      const answer = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
    },
    async close() {
      client.destroy();
      await s3?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The recording uploads' thread (proxy/recording/worker-storage.ts starts it): it runs the S3 client's PUTs, so
 * that signing, serializing and writing each 1 MiB chunk costs the consoles' event loop nothing but a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { s3RecordingStorage, type RecordingStorageConfig } from './storage.js';

export interface UploadRequest {
  id: number;
  key: string;
  body: Uint8Array;
  retentionDays: number;
  contentType?: string;
}

export interface UploadAnswer {
  id: number;
  /** Why the PUT failed (name and message only: never the request). */
  error?: { name: string; message: string };
}

const storage = s3RecordingStorage(workerData as RecordingStorageConfig);
parentPort!.on('message', async ({ id, key, body, retentionDays, contentType }: UploadRequest) => {
  try {
    await storage.put(key, body, retentionDays, contentType);
    parentPort!.postMessage({ id } satisfies UploadAnswer);
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    parentPort!.postMessage({ id, error: { name, message } } satisfies UploadAnswer);
  }
});

import { Worker } from 'node:worker_threads';
import { s3RecordingStorage, type RecordingStorage, type RecordingStorageConfig } from './storage.js';
import type { UploadAnswer, UploadRequest } from './upload-worker.js';

/**
 * The recording storage with its PUTs on a thread of their own (upload-worker.ts): a chunk is copied to it
 * (postMessage), and the S3 client's work per chunk — the request, its signature, the socket write — stays off
 * the event loop that bridges the consoles (bench/recording.ts measures the difference). Lists and reads, which
 * playback does, stay here. The thread starts at the first PUT, never keeps the process alive, and is started
 * again if it dies (its PUTs in flight then fail, and the recorder retries them).
 */
export function workerRecordingStorage(config: RecordingStorageConfig): RecordingStorage & { close(): Promise<void> } {
  const local = s3RecordingStorage(config);
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let worker: Worker | undefined;
  let nextId = 0;

  const failAll = (why: string) => {
    for (const { reject } of pending.values()) reject(new Error(why));
    pending.clear();
  };
  const start = (): Worker => {
    // From the source (tsx, tests) the worker is TypeScript; in the build it is a bundle beside main.mjs.
    const source = import.meta.url.endsWith('.ts');
    const started = new Worker(new URL(source ? './upload-worker.ts' : './recording-upload-worker.mjs', import.meta.url), {
      workerData: config,
      ...(source ? { execArgv: ['--import', 'tsx'] } : {}),
    });
    started.unref();
    started.on('message', ({ id, error }: UploadAnswer) => {
      const waiter = pending.get(id);
      pending.delete(id);
      if (!error) return waiter?.resolve();
      const failure = new Error(error.message);
      failure.name = error.name;
      waiter?.reject(failure);
    });
    started.on('error', (error) => failAll(`the upload thread failed: ${error.name}`));
    started.on('exit', () => {
      if (worker === started) worker = undefined;
      failAll('the upload thread stopped');
    });
    return started;
  };

  return {
    put(key, body, retentionDays, contentType) {
      worker ??= start();
      const id = (nextId += 1);
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, key, body, retentionDays, ...(contentType ? { contentType } : {}) } satisfies UploadRequest);
      });
    },
    list: (prefix) => local.list(prefix),
    get: (key) => local.get(key),
    async close() {
      const stopping = worker;
      worker = undefined;
      await stopping?.terminate();
    },
  };
}

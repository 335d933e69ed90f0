import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay in front of a local DynamoDB (dynalite) that shows each request to `observe` before passing
 * it on unchanged: the benches count calls and request units with it, as CloudWatch would bill them.
 */
export async function dynamoRelay(
  target: string,
  observe: (action: string, body: Buffer, req: IncomingMessage) => void,
): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      observe(String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '', body, req);
      const out = forward({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

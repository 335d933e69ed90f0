/**
 * A storage that costs nothing: an HTTP server in a process of its own that answers every S3 PUT with 200 and
 * throws the body away. With it as the proxy's S3 endpoint, the bench measures what recording costs the proxy
 * itself, without the local S3's own work (MD5, files: on AWS that is S3's, not the proxy's) on the same cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const SINK = `
const { createServer } = require('node:http');
let etag = 0;
const server = createServer((request, response) => {
  request.on('data', () => undefined);
  request.on('end', () => {
    etag += 1;
    response.writeHead(200, { ETag: '"' + etag.toString(16).padStart(32, '0') + '"', 'Content-Length': '0' });
    response.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export async function startNullStorage(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout!, 'data');
  return { child, endpoint: `http://127.0.0.1:${Number(String(line).trim())}` };
}

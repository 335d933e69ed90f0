/**
 * `npm run build:agent`: the guest agent as one file, `dist/agent/console-broker-agent.mjs`, that runs on a
 * plain Node (18 or later: Debian 12's nodejs) with no node_modules. esbuild bundles agent/main.ts with
 * everything it imports (ws, zod, lib/protocol) and sets the version the agent reports (`define`).
 *   --version <v>  the version to build (default: package.json's)     --out <dir>  (default: dist/agent)
 */
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const AGENT_BUNDLE = 'console-broker-agent.mjs';

export const packageVersion = (): string => (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

export async function buildAgent({ outDir = join(root, 'dist', 'agent'), version = packageVersion() } = {}): Promise<{ file: string; bytes: number; version: string }> {
  const file = join(outDir, AGENT_BUNDLE);
  await build({
    entryPoints: [join(root, 'agent', 'main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    define: { __AGENT_VERSION__: JSON.stringify(version) },
    // ws loads these native speed-ups only if they are there (in a try/catch); the agent does without.
    external: ['bufferutil', 'utf-8-validate'],
    // The bundled CommonJS (ws) calls require(): an ES module has none, so it gets Node's own.
    banner: { js: "import { createRequire as __agentRequire } from 'node:module'; const require = __agentRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { file, bytes: statSync(file).size, version };
}

/** `--name value` from argv. */
export const option = (name: string): string | undefined => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = option('out');
  const built = await buildAgent({ ...(out ? { outDir: out } : {}), ...(option('version') ? { version: option('version')! } : {}) });
  console.log(`agent ${built.version}: ${built.file} (${(built.bytes / 1024).toFixed(0)} KiB)`);
}

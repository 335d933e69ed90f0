/**
 * `npm run build`: the artefacts that run outside Lambda, built into dist/ (gitignored). Each artefact is one
 * function below; `tsx scripts/build.ts proxy` builds only the one named.
 *
 * dist/proxy/: the console proxy as one ES module bundle (main.mjs) with its static files beside it
 * (public/: the console page; novnc/: noVNC's browser modules). It runs on plain Node 24 with no
 * node_modules: `node dist/proxy/main.mjs`.
 */
import { cpSync, mkdirSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where `npm run build` puts the proxy artefact, relative to the repository (proxy/Dockerfile copies it). */
export const PROXY_ARTEFACT_DIR = 'dist/proxy';

/** Bundled CommonJS dependencies call `require` for Node's built-ins: an ES module has none of its own. */
const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Builds the console proxy artefact into `outDir` (default dist/proxy) and returns its size in bytes. */
export async function buildProxy(outDir = join(root, PROXY_ARTEFACT_DIR)): Promise<{ outDir: string; bytes: number }> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, 'proxy/main.ts')],
    outfile: join(outDir, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // ws's optional native accelerators: it falls back to JavaScript when they are absent.
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: REQUIRE_BANNER },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  cpSync(join(root, 'proxy/public'), join(outDir, 'public'), { recursive: true });
  const novnc = dirname(dirname(createRequire(import.meta.url).resolve('@novnc/novnc')));
  for (const part of ['core', 'vendor']) {
    cpSync(join(novnc, part), join(outDir, 'novnc', part), { recursive: true, filter: (source) => statSync(source).isDirectory() || source.endsWith('.js') });
  }
  cpSync(join(novnc, 'LICENSE.txt'), join(outDir, 'novnc', 'LICENSE.txt'));
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name: 'console-proxy', private: true, type: 'module' }, null, 2)}\n`);
  return { outDir, bytes: treeBytes(outDir) };
}

export function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/** Every artefact `npm run build` makes, by name. */
export const artefacts: Record<string, () => Promise<{ outDir: string; bytes: number }>> = {
  proxy: () => buildProxy(),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in artefacts));
  if (unknown.length) {
    console.error(`unknown artefact: ${unknown.join(', ')} (known: ${Object.keys(artefacts).join(', ')})`);
    process.exit(2);
  }
  for (const name of names.length ? names : Object.keys(artefacts)) {
    const { outDir, bytes } = await artefacts[name]!();
    console.log(`${name}: ${outDir} (${Math.round(bytes / 1024)} KiB)`);
  }
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the console page and noVNC's modules are. Beside this module: `public/` (the page) and, in the built
 * artefact (scripts/build.ts copies them), `novnc/`. Run from the source tree, noVNC comes from node_modules.
 */
export function staticFiles(): { pageDir: string; novncDir: string } {
  const here = new URL('./', import.meta.url);
  const bundled = fileURLToPath(new URL('./novnc', here));
  return {
    pageDir: fileURLToPath(new URL('./public', here)),
    novncDir: existsSync(bundled) ? bundled : dirname(dirname(createRequire(import.meta.url).resolve('@novnc/novnc'))),
  };
}

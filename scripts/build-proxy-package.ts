/**
 * `npm run package:proxy`: what a proxy fleet is deployed from, in dist/package/proxy/: the artefact as a
 * tarball (console-proxy-<version>.tar.gz: the build's dist/proxy, for `docker build` or any Node 24 host),
 * the fleet's CloudFormation template (proxy/deploy/fleet.yml) and SHA256SUMS. docs/proxy.md has the steps.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProxy } from './build.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function packageProxy(outDir = join(root, 'dist/package/proxy'), artefactDir = join(root, 'dist/proxy')) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const artefact = await buildProxy(artefactDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `console-proxy-${version}.tar.gz`);
  // Reproducible: fixed owner and order, so the same build makes the same tarball.
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', tarball, '-C', dirname(artefact.outDir), basename(artefact.outDir)]);
  const template = join(outDir, 'fleet.yml');
  copyFileSync(join(root, 'proxy/deploy/fleet.yml'), template);
  const sums = [tarball, template].map((file) => `${createHash('sha256').update(readFileSync(file)).digest('hex')}  ${basename(file)}`);
  writeFileSync(join(outDir, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  return { outDir, tarball, template, artefactBytes: artefact.bytes, tarballBytes: statSync(tarball).size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const made = await packageProxy();
  console.log(`artefact dist/proxy: ${Math.round(made.artefactBytes / 1024)} KiB`);
  console.log(`${made.tarball}: ${Math.round(made.tarballBytes / 1024)} KiB`);
  console.log(`${made.template}`);
}

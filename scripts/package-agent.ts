/**
 * `npm run package:agent`: the guest agent as a Debian package, `dist/console-broker-agent_<version>_all.deb`,
 * built with `dpkg-deb` from the single-file build (scripts/build-agent.ts) and agent/packaging/debian/:
 *   /usr/lib/console-broker-agent/console-broker-agent.mjs   the agent (runs on the guest's nodejs >= 18)
 *   /usr/sbin/console-broker-agent                           its command line (--version, hash-password)
 *   /lib/systemd/system/console-broker-agent.service         the service (Restart=always)
 *   /etc/console-broker-agent/agent.json                     the config (a conffile, root only, 0600)
 *   /usr/share/doc/console-broker-agent/agent.md             docs/agent.md
 * The credential (/etc/console-broker-agent/credential) is never in the package: an upgrade leaves it alone.
 *   --version <v>  (default: package.json's)     --out <dir>  (default: dist)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_BUNDLE, buildAgent, option, packageVersion } from './build-agent.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const packaging = join(root, 'agent', 'packaging', 'debian');
export const AGENT_PACKAGE = 'console-broker-agent';

export async function packageAgent({ outDir = join(root, 'dist'), version = packageVersion() } = {}): Promise<{ file: string; bytes: number; bundleBytes: number; version: string }> {
  const stage = mkdtempSync(join(tmpdir(), 'agent-deb-'));
  try {
    const built = await buildAgent({ outDir: join(stage, 'build'), version });
    const tree = join(stage, 'tree');
    const place = (from: string, to: string, mode: number) => {
      mkdirSync(dirname(join(tree, to)), { recursive: true });
      copyFileSync(from, join(tree, to));
      chmodSync(join(tree, to), mode);
    };
    place(built.file, `usr/lib/${AGENT_PACKAGE}/${AGENT_BUNDLE}`, 0o644);
    place(join(packaging, 'console-broker-agent'), `usr/sbin/${AGENT_PACKAGE}`, 0o755);
    place(join(packaging, 'console-broker-agent.service'), `lib/systemd/system/${AGENT_PACKAGE}.service`, 0o644);
    place(join(packaging, 'agent.json'), `etc/${AGENT_PACKAGE}/agent.json`, 0o600);
    chmodSync(join(tree, 'etc', AGENT_PACKAGE), 0o700);
    place(join(root, 'docs', 'agent.md'), `usr/share/doc/${AGENT_PACKAGE}/agent.md`, 0o644);
    for (const script of ['postinst', 'prerm', 'postrm']) place(join(packaging, script), `DEBIAN/${script}`, 0o755);
    place(join(packaging, 'conffiles'), 'DEBIAN/conffiles', 0o644);
    const installedKiB = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', tree], { encoding: 'utf8' }).split('\t')[0]);
    const control = readFileSync(join(packaging, 'control'), 'utf8').replace('@VERSION@', version).replace('@INSTALLED_SIZE@', String(installedKiB));
    writeFileSync(join(tree, 'DEBIAN', 'control'), control, { mode: 0o644 });
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${AGENT_PACKAGE}_${version}_all.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', tree, file], { stdio: ['ignore', 'ignore', 'inherit'] });
    return { file, bytes: statSync(file).size, bundleBytes: built.bytes, version };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = option('out');
  const built = await packageAgent({ ...(out ? { outDir: out } : {}), ...(option('version') ? { version: option('version')! } : {}) });
  console.log(`${built.file}: ${(built.bytes / 1024).toFixed(0)} KiB (the agent bundle in it: ${(built.bundleBytes / 1024).toFixed(0)} KiB)`);
}

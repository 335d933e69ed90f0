import { readFileSync, writeFileSync } from 'node:fs';

/** Replaces what README.md holds between `<!-- name:start -->` and `<!-- name:end -->` (if both are there). */
export function writeReadmeSection(readmeFile: string, name: string, markdown: string): void {
  const readme = readFileSync(readmeFile, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!readme.includes(start) || !readme.includes(end)) return;
  writeFileSync(readmeFile, `${readme.slice(0, readme.indexOf(start) + start.length)}\n${markdown}\n${readme.slice(readme.indexOf(end))}`);
}

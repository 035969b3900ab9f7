import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The patchctl checkout or install this code runs from (works from sources and from dist/). */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

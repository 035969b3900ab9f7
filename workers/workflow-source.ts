import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../config/repo-root';

/**
 * Prefer the bundle `npm run build` wrote (production images start without webpack); fall back to
 * bundling the sources, which is what tests and a fresh checkout do.
 */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const root = repoRoot();
  const bundle = join(root, 'dist', 'workflow-bundle.js');
  const fromDist = __dirname.includes(`${join(root, 'dist')}`);
  if (fromDist && existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  for (const candidate of [join(__dirname, '..', 'workflows', 'index.ts'), join(__dirname, '..', 'workflows', 'index.js')]) {
    if (existsSync(candidate)) return { workflowsPath: candidate };
  }
  return { workflowsPath: join(root, 'workflows', 'index.ts') };
}

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Once per `vitest run`: make sure the test PostgreSQL is up (starting the local cluster if needed),
 * so a fresh clone's `npm test` needs nothing else.
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'ensure-postgres.cjs')], { stdio: 'inherit' });
}

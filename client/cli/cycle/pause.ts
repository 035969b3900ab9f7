import type { Command } from 'commander';
import { cycleControlCommand } from './control-command';

export function cyclePauseCommand(): Command {
  return cycleControlCommand('pause', 'pause a cycle between batches: nothing new is deployed until resume');
}

import type { Command } from 'commander';
import { pauseSignal } from '../../workflows/cycle/messages';
import { cycleControlCommand } from '../cycle-control-command';

export function cyclePauseCommand(): Command {
  return cycleControlCommand('pause', 'pause a cycle between batches: nothing new is deployed until resume', pauseSignal);
}

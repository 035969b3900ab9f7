import type { Command } from 'commander';
import { cycleControlCommand } from './control-command';

export function cycleResumeCommand(): Command {
  return cycleControlCommand('resume', 'resume a paused cycle');
}

import type { Command } from 'commander';
import { resumeSignal } from '../../workflows/cycle/messages';
import { cycleControlCommand } from '../cycle-control-command';

export function cycleResumeCommand(): Command {
  return cycleControlCommand('resume', 'resume a paused cycle', resumeSignal);
}

import type { Command } from 'commander';
import { scheduleControlCommand } from './schedule-control';

export function scheduleResumeCommand(): Command {
  return scheduleControlCommand('resume', 'resume a paused schedule', (handle, note) => handle.unpause(note));
}

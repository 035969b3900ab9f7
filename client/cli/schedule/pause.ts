import type { Command } from 'commander';
import { scheduleControlCommand } from './schedule-control';

export function schedulePauseCommand(): Command {
  return scheduleControlCommand('pause', 'pause a schedule: no run starts until it is resumed', (handle, note) => handle.pause(note));
}

import type { Command } from 'commander';
import { scheduleControlCommand } from './schedule-control';

export function scheduleTriggerCommand(): Command {
  return scheduleControlCommand('trigger', "run a schedule's action now (the monthly report: the month just ended; a month already mailed is not mailed again)", (handle) => handle.trigger());
}

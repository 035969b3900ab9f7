import type { MaintenanceWindow, Weekday } from '../../config/policy-schema';

// Runs inside the workflow sandbox: only Intl and Date arithmetic, no Node APIs. Time zone rules come
// from the ICU data of the Node that runs the worker, the same on replay.

const WEEKDAY_INDEX: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const DAY_MS = 86_400_000;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localParts(at: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(at: number, timeZone: string): number {
  const p = localParts(new Date(at), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The instant at which a local wall-clock time occurs in the zone. A time that occurs twice (the
 * hour repeated when clocks go back) is its first occurrence; a time that does not occur (skipped
 * when clocks go forward) is read with the offset from before the switch, which lands after the gap.
 */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const occurs = (instant: number) => {
    const p = localParts(new Date(instant), timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
  };
  const candidates = [wall - before, wall - after].filter(occurs);
  return new Date(candidates.length > 0 ? Math.min(...candidates) : wall - before);
}

export interface WindowOccurrence {
  opensAt: Date;
  closesAt: Date;
}

/**
 * The window that contains `at`, or else the next one to open. Looks one day back so a window
 * that opened yesterday evening and runs past midnight still counts.
 */
export function currentOrNextWindow(at: Date, windows: readonly MaintenanceWindow[], timeZone: string): WindowOccurrence {
  const now = at.getTime();
  const today = localParts(at, timeZone);
  const todayUtc = Date.UTC(today.year, today.month - 1, today.day);
  let best: WindowOccurrence | undefined;
  for (let offset = -1; offset <= 8; offset++) {
    const dayUtc = new Date(todayUtc + offset * DAY_MS);
    const weekday = dayUtc.getUTCDay();
    for (const window of windows) {
      if (!window.days.some((d) => WEEKDAY_INDEX[d] === weekday)) continue;
      const [hour, minute] = window.start.split(':').map(Number) as [number, number];
      const opensAt = zonedTime(dayUtc.getUTCFullYear(), dayUtc.getUTCMonth() + 1, dayUtc.getUTCDate(), hour, minute, timeZone);
      const closesAt = new Date(opensAt.getTime() + window.duration);
      if (closesAt.getTime() <= now) continue;
      if (!best || opensAt < best.opensAt) best = { opensAt, closesAt };
    }
  }
  if (!best) throw new RangeError('maintenance windows must name at least one day');
  return best;
}

export function isWithinWindow(at: Date, windows: readonly MaintenanceWindow[], timeZone: string): boolean {
  return currentOrNextWindow(at, windows, timeZone).opensAt.getTime() <= at.getTime();
}

/** Milliseconds to wait before deploying is allowed (0 when a window is open now). */
export function msUntilWindowOpens(at: Date, windows: readonly MaintenanceWindow[], timeZone: string): number {
  return Math.max(0, currentOrNextWindow(at, windows, timeZone).opensAt.getTime() - at.getTime());
}

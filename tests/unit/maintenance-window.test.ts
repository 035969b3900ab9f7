import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow, Weekday } from '../../config/policy-schema';
import { currentOrNextWindow, isWithinWindow, msUntilWindowOpens, zonedTime } from '../../domain/cycle/maintenance-window';

const HOUR = 3_600_000;
const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';

function window(days: Weekday[], start: string, hours: number): MaintenanceWindow {
  return { days, start, duration: hours * HOUR };
}

/** What a person in the zone reads on the wall clock, e.g. "Sun 2026-03-08 03:00". */
function wallClock(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const at = (iso: string) => new Date(iso);

describe('zonedTime', () => {
  it('turns a wall-clock time into the right instant in both zones, winter and summer', () => {
    expect(zonedTime(2026, 1, 15, 9, 30, NEW_YORK).toISOString()).toBe('2026-01-15T14:30:00.000Z');
    expect(zonedTime(2026, 7, 4, 9, 30, NEW_YORK).toISOString()).toBe('2026-07-04T13:30:00.000Z');
    expect(zonedTime(2026, 1, 15, 9, 30, BERLIN).toISOString()).toBe('2026-01-15T08:30:00.000Z');
    expect(zonedTime(2026, 7, 4, 9, 30, BERLIN).toISOString()).toBe('2026-07-04T07:30:00.000Z');
  });

  it('is exact on either side of the switch on DST days', () => {
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT.
    expect(zonedTime(2026, 3, 8, 1, 30, NEW_YORK).toISOString()).toBe('2026-03-08T06:30:00.000Z');
    expect(zonedTime(2026, 3, 8, 3, 0, NEW_YORK).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
    expect(zonedTime(2026, 3, 29, 1, 30, BERLIN).toISOString()).toBe('2026-03-29T00:30:00.000Z');
    expect(zonedTime(2026, 3, 29, 3, 30, BERLIN).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET.
    expect(zonedTime(2026, 10, 25, 1, 30, BERLIN).toISOString()).toBe('2026-10-24T23:30:00.000Z');
    expect(zonedTime(2026, 10, 25, 3, 0, BERLIN).toISOString()).toBe('2026-10-25T02:00:00.000Z');
    // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST.
    expect(zonedTime(2026, 11, 1, 3, 0, NEW_YORK).toISOString()).toBe('2026-11-01T08:00:00.000Z');
  });

  it('resolves a wall-clock time that does not exist in Berlin (spring-forward gap) forward', () => {
    expect(wallClock(zonedTime(2026, 3, 29, 2, 0, BERLIN), BERLIN)).toBe('Sun 2026-03-29 03:00');
    expect(wallClock(zonedTime(2026, 3, 29, 2, 30, BERLIN), BERLIN)).toBe('Sun 2026-03-29 03:30');
  });

  it('resolves a skipped wall-clock time forward west of Greenwich too (New York, 2026-03-08 02:00 → 03:00 EDT)', () => {
    expect(zonedTime(2026, 3, 8, 2, 0, NEW_YORK).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    const window = currentOrNextWindow(new Date('2026-03-08T05:00:00Z'), [{ days: ['sun'], start: '02:00', duration: 3_600_000 }], NEW_YORK);
    expect(window.opensAt.toISOString()).toBe('2026-03-08T07:00:00.000Z');
  });

  it('gives a time that occurs twice (fall-back) one of its two real instants', () => {
    const berlin = zonedTime(2026, 10, 25, 2, 30, BERLIN).toISOString();
    expect(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']).toContain(berlin);
    const newYork = zonedTime(2026, 11, 1, 1, 30, NEW_YORK).toISOString();
    expect(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']).toContain(newYork);
  });
});

describe('currentOrNextWindow (acme-dental: Sat and Sun 22:00 for 6h, New York)', () => {
  const weekend = [window(['sat', 'sun'], '22:00', 6)];

  it('inside a window: the window that is open now, opened at or before now', () => {
    const now = at('2026-01-18T04:30:00Z'); // Sat 23:30 EST
    const w = currentOrNextWindow(now, weekend, NEW_YORK);
    expect(w.opensAt.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(wallClock(w.opensAt, NEW_YORK)).toBe('Sat 2026-01-17 22:00');
    expect(wallClock(w.closesAt, NEW_YORK)).toBe('Sun 2026-01-18 04:00');
    expect(isWithinWindow(now, weekend, NEW_YORK)).toBe(true);
    expect(msUntilWindowOpens(now, weekend, NEW_YORK)).toBe(0);
  });

  it('a window that opened yesterday at 22:00 for 6h is still open at 01:00', () => {
    const now = at('2026-01-18T06:00:00Z'); // Sun 01:00 EST
    expect(wallClock(now, NEW_YORK)).toBe('Sun 2026-01-18 01:00');
    const w = currentOrNextWindow(now, weekend, NEW_YORK);
    expect(w.opensAt.toISOString()).toBe('2026-01-18T03:00:00.000Z'); // Sat 22:00 EST
    expect(isWithinWindow(now, weekend, NEW_YORK)).toBe(true);
    // The same holds for Monday 01:00 after the Sunday window.
    expect(isWithinWindow(at('2026-01-19T06:00:00Z'), weekend, NEW_YORK)).toBe(true);
  });

  it('before a window: the next opening, and how long to wait for it', () => {
    const now = at('2026-01-14T17:00:00Z'); // Wed 12:00 EST
    const w = currentOrNextWindow(now, weekend, NEW_YORK);
    expect(wallClock(w.opensAt, NEW_YORK)).toBe('Sat 2026-01-17 22:00');
    expect(w.opensAt.toISOString()).toBe('2026-01-18T03:00:00.000Z');
    expect(isWithinWindow(now, weekend, NEW_YORK)).toBe(false);
    expect(msUntilWindowOpens(now, weekend, NEW_YORK)).toBe(3 * 24 * HOUR + 10 * HOUR);
  });

  it('opens exactly at the start and is closed exactly at the end', () => {
    const opens = at('2026-01-18T03:00:00Z');
    expect(isWithinWindow(new Date(opens.getTime() - 1), weekend, NEW_YORK)).toBe(false);
    expect(msUntilWindowOpens(new Date(opens.getTime() - 1), weekend, NEW_YORK)).toBe(1);
    expect(isWithinWindow(opens, weekend, NEW_YORK)).toBe(true);
    const closes = at('2026-01-18T09:00:00Z'); // Sun 04:00 EST
    expect(isWithinWindow(new Date(closes.getTime() - 1), weekend, NEW_YORK)).toBe(true);
    expect(isWithinWindow(closes, weekend, NEW_YORK)).toBe(false);
    // After Saturday night's window closes, Sunday night's is next.
    expect(wallClock(currentOrNextWindow(closes, weekend, NEW_YORK).opensAt, NEW_YORK)).toBe('Sun 2026-01-18 22:00');
    // After Sunday night's, the next is the following Saturday.
    expect(wallClock(currentOrNextWindow(at('2026-01-19T09:00:00Z'), weekend, NEW_YORK).opensAt, NEW_YORK)).toBe('Sat 2026-01-24 22:00');
  });

  it('a window open across the spring-forward switch (2026-03-08) lasts 6 real hours', () => {
    const now = at('2026-03-08T06:30:00Z'); // Sun 01:30 EST, half an hour before the clocks jump
    const w = currentOrNextWindow(now, weekend, NEW_YORK);
    expect(wallClock(w.opensAt, NEW_YORK)).toBe('Sat 2026-03-07 22:00');
    expect(w.closesAt.getTime() - w.opensAt.getTime()).toBe(6 * HOUR);
    expect(wallClock(w.closesAt, NEW_YORK)).toBe('Sun 2026-03-08 05:00'); // 04:00 EST is 05:00 EDT
    expect(isWithinWindow(now, weekend, NEW_YORK)).toBe(true);
    // That Sunday evening the window opens at 22:00 daylight time.
    const sundayNoon = at('2026-03-08T16:00:00Z');
    expect(currentOrNextWindow(sundayNoon, weekend, NEW_YORK).opensAt.toISOString()).toBe('2026-03-09T02:00:00.000Z');
  });
});

describe('currentOrNextWindow on DST switch days', () => {
  it('New York 2026-03-08: a 03:00 window opens at 03:00 daylight time, a 01:00 one at 01:00 standard time', () => {
    const before = at('2026-03-08T05:00:00Z'); // Sun 00:00 EST
    expect(currentOrNextWindow(before, [window(['sun'], '03:00', 2)], NEW_YORK).opensAt.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(currentOrNextWindow(before, [window(['sun'], '01:00', 2)], NEW_YORK).opensAt.toISOString()).toBe('2026-03-08T06:00:00.000Z');
  });

  it('Berlin 2026-03-29: a 02:00 window (a time that does not exist that day) opens when the clock reaches 03:00', () => {
    const nightly = [window(['sun'], '02:00', 2)];
    const before = at('2026-03-29T00:30:00Z'); // Sun 01:30 CET
    const w = currentOrNextWindow(before, nightly, BERLIN);
    expect(w.opensAt.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(wallClock(w.opensAt, BERLIN)).toBe('Sun 2026-03-29 03:00');
    expect(w.closesAt.toISOString()).toBe('2026-03-29T03:00:00.000Z');
    expect(isWithinWindow(at('2026-03-29T00:59:00Z'), nightly, BERLIN)).toBe(false);
    expect(isWithinWindow(at('2026-03-29T01:00:00Z'), nightly, BERLIN)).toBe(true);
    expect(msUntilWindowOpens(before, nightly, BERLIN)).toBe(HOUR / 2);
    // The Sundays around it open at 02:00 local, winter and summer time respectively.
    expect(currentOrNextWindow(at('2026-03-21T12:00:00Z'), nightly, BERLIN).opensAt.toISOString()).toBe('2026-03-22T01:00:00.000Z');
    expect(currentOrNextWindow(at('2026-03-29T12:00:00Z'), nightly, BERLIN).opensAt.toISOString()).toBe('2026-04-05T00:00:00.000Z');
  });

  it('Berlin 2026-10-25: the Saturday 22:00 window lasts 4 real hours over the switch; a Sunday 03:00 window opens at 03:00 CET', () => {
    const saturdayNight = [window(['sat'], '22:00', 4)];
    const w = currentOrNextWindow(at('2026-10-24T12:00:00Z'), saturdayNight, BERLIN);
    expect(w.opensAt.toISOString()).toBe('2026-10-24T20:00:00.000Z'); // 22:00 CEST
    expect(w.closesAt.toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect(isWithinWindow(at('2026-10-24T23:59:00Z'), saturdayNight, BERLIN)).toBe(true);
    expect(isWithinWindow(at('2026-10-25T00:00:00Z'), saturdayNight, BERLIN)).toBe(false);
    const early = currentOrNextWindow(at('2026-10-24T12:00:00Z'), [window(['sun'], '03:00', 1)], BERLIN);
    expect(early.opensAt.toISOString()).toBe('2026-10-25T02:00:00.000Z');
    expect(wallClock(early.opensAt, BERLIN)).toBe('Sun 2026-10-25 03:00');
  });

  it('Berlin 2026-10-25: a 02:00 window (a time that occurs twice) opens at a 02:00 on that day', () => {
    const w = currentOrNextWindow(at('2026-10-24T12:00:00Z'), [window(['sun'], '02:00', 1)], BERLIN);
    expect(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z']).toContain(w.opensAt.toISOString());
    expect(wallClock(w.opensAt, BERLIN)).toBe('Sun 2026-10-25 02:00');
  });
});

describe('windows on given weekdays only', () => {
  it('takes the weekday in the client’s zone, not in UTC', () => {
    // Monday 21:00 in New York is already Tuesday in UTC.
    const mondayEvening = [window(['mon'], '21:00', 2)];
    const now = at('2026-01-20T00:00:00Z'); // Mon 19:00 EST, Tue 00:00 UTC
    const w = currentOrNextWindow(now, mondayEvening, NEW_YORK);
    expect(wallClock(w.opensAt, NEW_YORK)).toBe('Mon 2026-01-19 21:00');
    expect(msUntilWindowOpens(now, mondayEvening, NEW_YORK)).toBe(2 * HOUR);
    // Monday 00:30 in Berlin is still Sunday in UTC.
    const mondayNight = [window(['mon'], '00:30', 1)];
    const berlin = currentOrNextWindow(at('2026-01-18T12:00:00Z'), mondayNight, BERLIN);
    expect(berlin.opensAt.toISOString()).toBe('2026-01-18T23:30:00.000Z');
    expect(wallClock(berlin.opensAt, BERLIN)).toBe('Mon 2026-01-19 00:30');
  });

  it('waits almost a week when this week’s only window has just closed', () => {
    const wednesday = [window(['wed'], '19:00', 3)];
    const justClosed = at('2026-01-14T21:00:00Z'); // Wed 22:00 CET
    const w = currentOrNextWindow(justClosed, wednesday, BERLIN);
    expect(wallClock(w.opensAt, BERLIN)).toBe('Wed 2026-01-21 19:00');
    expect(msUntilWindowOpens(justClosed, wednesday, BERLIN)).toBe(7 * 24 * HOUR - 3 * HOUR);
    expect(isWithinWindow(at('2026-01-15T18:30:00Z'), wednesday, BERLIN)).toBe(false); // Thursday at the same hour
  });

  it('with several windows, takes the earliest next opening, and an open one wins over a later one', () => {
    const windows = [window(['sat'], '22:00', 4), window(['tue', 'thu'], '20:00', 2)];
    expect(wallClock(currentOrNextWindow(at('2026-01-14T12:00:00Z'), windows, BERLIN).opensAt, BERLIN)).toBe('Thu 2026-01-15 20:00');
    expect(wallClock(currentOrNextWindow(at('2026-01-16T12:00:00Z'), windows, BERLIN).opensAt, BERLIN)).toBe('Sat 2026-01-17 22:00');
    const insideTuesday = at('2026-01-20T19:30:00Z'); // Tue 20:30 CET
    expect(wallClock(currentOrNextWindow(insideTuesday, windows, BERLIN).opensAt, BERLIN)).toBe('Tue 2026-01-20 20:00');
  });

  it('a 24h window every day is always open', () => {
    const always = [window(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], '00:00', 24)];
    for (const iso of ['2026-03-08T06:59:00Z', '2026-03-08T07:00:00Z', '2026-03-29T01:30:00Z', '2026-10-25T01:30:00Z', '2026-12-31T23:59:59Z']) {
      expect(isWithinWindow(at(iso), always, NEW_YORK)).toBe(true);
      expect(isWithinWindow(at(iso), always, BERLIN)).toBe(true);
    }
  });

  it('refuses a list with no windows instead of answering a made-up time', () => {
    expect(() => currentOrNextWindow(at('2026-01-14T12:00:00Z'), [], BERLIN)).toThrow(RangeError);
  });
});

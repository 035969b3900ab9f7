import { option, type SchemaKit } from '../option-spec';

export const DATE_HELP = 'a date (2026-12-31, 00:00 UTC), an ISO time (2026-12-31T18:00:00Z) or a time from now (30d, 12h)';

/**
 * `--expires`, `--review`, `--until`: an absolute date or time, or a duration counted from now. The
 * result is an ISO time; whether it is within the policy's bounds is the domain rules' call.
 */
export function dateSchema({ z, duration }: SchemaKit, now: () => number = Date.now) {
  return z.string().transform((text, ctx) => {
    const relative = duration.parseDuration(text);
    if (relative !== undefined) return new Date(now() + relative).toISOString();
    const absolute = /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
    if (Number.isNaN(absolute)) {
      ctx.addIssue({ code: 'custom', message: `must be ${DATE_HELP}` });
      return z.NEVER;
    }
    return new Date(absolute).toISOString();
  });
}

export function dateOption(flags: string, description: string, more?: { required: true }) {
  return option(flags, `${description}: ${DATE_HELP}`, (kit) => dateSchema(kit), more);
}

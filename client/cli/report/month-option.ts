import { MONTH_PATTERN } from '../../../domain/reporting/period';
import { option, type SchemaKit } from '../option-spec';

// `--month YYYY-MM`: the month a report, scorecard or inventory export covers (as of its last day, UTC).

const monthSchema = ({ z }: SchemaKit) => z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM');

export function monthOption(description: string) {
  return option('--month <YYYY-MM>', description, monthSchema);
}

export function requiredMonthOption(description: string) {
  return option('--month <YYYY-MM>', description, monthSchema, { required: true });
}

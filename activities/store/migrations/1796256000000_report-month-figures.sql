-- Up Migration

-- A closed month's report figures, computed once from the state history as of the month's end and
-- then read by every later report of that month (and by the scorecard and the QBR trend). Filled
-- idempotently (first writer wins); an open month is never stored, always computed live.
CREATE TABLE report_month_figures (
  client_id    text NOT NULL REFERENCES clients(id),
  period       text NOT NULL,
  figures      jsonb NOT NULL,
  computed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, period)
);

-- Discovery records devices before anyone classifies them: an asset may lack its class or its ePHI
-- answer. Such an asset is unclassified; the report lists it and withholds the compliance claim.
ALTER TABLE assets ALTER COLUMN asset_class DROP NOT NULL, ALTER COLUMN ephi DROP NOT NULL;

-- Down Migration

DROP TABLE report_month_figures;

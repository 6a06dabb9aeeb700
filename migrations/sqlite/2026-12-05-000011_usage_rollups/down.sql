DROP TRIGGER usage_records_rollup;
DROP TABLE usage_unpriced;
DROP TABLE usage_hourly;
DROP TABLE usage_daily;

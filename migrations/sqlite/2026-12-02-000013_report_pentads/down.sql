DELETE FROM report_buckets WHERE period > 99999999;
DELETE FROM report_deltas WHERE period > 99999999;

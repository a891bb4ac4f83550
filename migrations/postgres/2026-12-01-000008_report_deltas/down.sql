DROP TABLE report_deltas;

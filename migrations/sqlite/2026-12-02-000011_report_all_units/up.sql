-- Each procedure's buckets over all units together (unit key nil, `tally::ALL_UNITS`), so that
-- a procedure report of every unit sums a row per procedure and period key instead of one per
-- unit. The report merge writes them from now on, from the deltas it moves (`store::reports::
-- merge`); this fills them from the buckets (the deltas not merged yet get theirs when merged).
-- Stop the servers of the previous version before upgrading (their merges would leave the
-- roll-up short), or run `motcua reports rebuild` afterwards.
INSERT INTO report_buckets (unit_id, procedure_id, period,
    intake_online, intake_desk, refused, awaiting_started, awaiting_ended,
    awaiting_late_started, awaiting_late_ended, received_online, received_desk, finished_early,
    finished_on_time, finished_late, overdue_started, overdue_ended, processing_seconds,
    reused, digitized, results_issued, with_fee, paid_online, discount_vnd, satisfied, normal,
    dissatisfied)
SELECT X'00000000000000000000000000000000', procedure_id, period,
    SUM(intake_online), SUM(intake_desk), SUM(refused), SUM(awaiting_started),
    SUM(awaiting_ended), SUM(awaiting_late_started), SUM(awaiting_late_ended),
    SUM(received_online), SUM(received_desk), SUM(finished_early), SUM(finished_on_time),
    SUM(finished_late), SUM(overdue_started), SUM(overdue_ended), SUM(processing_seconds),
    SUM(reused), SUM(digitized), SUM(results_issued), SUM(with_fee), SUM(paid_online),
    SUM(discount_vnd), SUM(satisfied), SUM(normal), SUM(dissatisfied)
FROM report_buckets
WHERE procedure_id <> X'00000000000000000000000000000000'
GROUP BY procedure_id, period;

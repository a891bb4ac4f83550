-- Decade buckets (days 1–10, 11–20, 21 to the month's end; period key yyyymmd) of all
-- procedures together, so that an all-units report sums a decade instead of its ten days. Every
-- change writes them from now on (`tally::deltas`); this fills them from the day buckets and the
-- day deltas not merged yet. Stop the servers of the previous version before upgrading (their
-- changes would not count in the decades), or run `motcua reports rebuild` afterwards.
INSERT INTO report_buckets (unit_id, procedure_id, period,
    intake_online, intake_desk, refused, awaiting_started, awaiting_ended,
    awaiting_late_started, awaiting_late_ended, received_online, received_desk, finished_early,
    finished_on_time, finished_late, overdue_started, overdue_ended, processing_seconds, reused,
    digitized, results_issued, with_fee, paid_online, discount_vnd, satisfied, normal,
    dissatisfied)
SELECT unit_id, procedure_id,
    period / 100 * 10 + CASE WHEN period % 100 <= 10 THEN 1 WHEN period % 100 <= 20 THEN 2 ELSE 3 END,
    SUM(intake_online), SUM(intake_desk), SUM(refused), SUM(awaiting_started),
    SUM(awaiting_ended), SUM(awaiting_late_started), SUM(awaiting_late_ended),
    SUM(received_online), SUM(received_desk), SUM(finished_early), SUM(finished_on_time),
    SUM(finished_late), SUM(overdue_started), SUM(overdue_ended), SUM(processing_seconds),
    SUM(reused), SUM(digitized), SUM(results_issued), SUM(with_fee), SUM(paid_online),
    SUM(discount_vnd), SUM(satisfied), SUM(normal), SUM(dissatisfied)
FROM (
    SELECT unit_id, procedure_id, period,
        intake_online, intake_desk, refused, awaiting_started, awaiting_ended,
        awaiting_late_started, awaiting_late_ended, received_online, received_desk,
        finished_early, finished_on_time, finished_late, overdue_started, overdue_ended,
        processing_seconds, reused, digitized, results_issued, with_fee, paid_online,
        discount_vnd, satisfied, normal, dissatisfied
    FROM report_buckets
    UNION ALL
    SELECT unit_id, procedure_id, period,
        intake_online, intake_desk, refused, awaiting_started, awaiting_ended,
        awaiting_late_started, awaiting_late_ended, received_online, received_desk,
        finished_early, finished_on_time, finished_late, overdue_started, overdue_ended,
        processing_seconds, reused, digitized, results_issued, with_fee, paid_online,
        discount_vnd, satisfied, normal, dissatisfied
    FROM report_deltas
) AS days
WHERE procedure_id = '\x00000000000000000000000000000000'::bytea AND period > 9999999
GROUP BY unit_id, procedure_id,
    period / 100 * 10 + CASE WHEN period % 100 <= 10 THEN 1 WHEN period % 100 <= 20 THEN 2 ELSE 3 END;

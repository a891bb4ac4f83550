DELETE FROM report_buckets WHERE period > 99999999;
DELETE FROM report_deltas WHERE period > 99999999;
-- Pentad buckets (days 1–5, 6–10, 11–15, 16–20, 21–25, 26 to the month's end; period key
-- yyyymmdd0 of the pentad's first day) of all procedures together, so that an all-units report
-- of a period from mid-month reads a pentad and a decade at each end instead of a month less a
-- decade and four days. Every change writes them from now on (`tally::deltas`); this fills them
-- from the day buckets and the day deltas not merged yet. Stop the servers of the previous
-- version before upgrading (their changes would not count in the pentads), or run
-- `motcua reports rebuild` afterwards.
INSERT INTO report_buckets (unit_id, procedure_id, period,
    intake_online, intake_desk, refused, awaiting_started, awaiting_ended,
    awaiting_late_started, awaiting_late_ended, received_online, received_desk, finished_early,
    finished_on_time, finished_late, overdue_started, overdue_ended, processing_seconds, reused,
    digitized, results_issued, with_fee, paid_online, discount_vnd, satisfied, normal,
    dissatisfied)
SELECT unit_id, procedure_id,
    (period / 100 * 100 + CASE WHEN period % 100 >= 26 THEN 26 ELSE (period % 100 - 1) / 5 * 5 + 1 END) * 10,
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
WHERE procedure_id = X'00000000000000000000000000000000' AND period BETWEEN 10000101 AND 99991231
GROUP BY unit_id, procedure_id,
    (period / 100 * 100 + CASE WHEN period % 100 >= 26 THEN 26 ELSE (period % 100 - 1) / 5 * 5 + 1 END) * 10;

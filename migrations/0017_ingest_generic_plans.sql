-- baton_begin_submission (0016) also switches the rest of its transaction to generic plans.
-- The statements a submission runs after it are named prepared statements whose values
-- all travel as parameters (src/db/client.ts executeNamed); with custom plans PostgreSQL
-- re-planned the candidates query on every lead (1.3 ms to plan, more than its 0.7 ms run
-- with the generic plan). set_config(…, true) is transaction-local: nothing else changes.
CREATE OR REPLACE FUNCTION baton_begin_submission(p_email text, p_since timestamptz)
RETURNS TABLE (lead_id uuid, scoring_version integer, predictive_version integer, ruleset_version integer)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
  PERFORM pg_advisory_xact_lock(7314, hashtext(p_email));
  RETURN QUERY SELECT
    (SELECT l.id FROM leads l WHERE l.email = p_email AND l.last_submitted_at >= p_since
      ORDER BY l.last_submitted_at DESC LIMIT 1),
    (SELECT max(s.version) FROM scoring_models s),
    (SELECT max(p.version) FROM predictive_models p),
    (SELECT max(r.version) FROM routing_rulesets r);
END
$$;

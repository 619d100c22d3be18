-- baton_begin_submission no longer switches its transaction to generic plans (0017): the
-- caller asks for them where a reader sees it (useGenericPlans in src/db/prepared.ts). An
-- older instance during a rolling upgrade still calls it the same way; it only plans as it
-- did before 0017 until it is replaced.
CREATE OR REPLACE FUNCTION baton_begin_submission(p_email text, p_since timestamptz)
RETURNS TABLE (lead_id uuid, scoring_version integer, predictive_version integer, ruleset_version integer)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7314, hashtext(p_email));
  RETURN QUERY SELECT
    (SELECT l.id FROM leads l WHERE l.email = p_email AND l.last_submitted_at >= p_since
      ORDER BY l.last_submitted_at DESC LIMIT 1),
    (SELECT max(s.version) FROM scoring_models s),
    (SELECT max(p.version) FROM predictive_models p),
    (SELECT max(r.version) FROM routing_rulesets r);
END
$$;

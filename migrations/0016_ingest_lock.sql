-- The start of every lead submission in one round trip: take the email's advisory lock
-- (the same two keys as before: 7314, hashtext(email)), then look for the lead that
-- email submitted within the dedupe window, and read the live scoring, conversion and
-- routing versions. PL/pgSQL on purpose: a VOLATILE function takes a fresh snapshot for
-- each statement, so the lookup sees a lead committed by whoever held the lock before
-- us; a single SQL statement would read with the snapshot it took before waiting.
CREATE FUNCTION baton_begin_submission(p_email text, p_since timestamptz)
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

-- A company name as account_owner's matchCompanyName compares it: lower case, without
-- punctuation (S.A. is sa, O'Neil is oneil), spaces collapsed, and without the legal forms
-- that end a name (Inc, Ltd, GmbH & Co. KG, SA, …), so "ACME, Inc." and "Acme" are one
-- company. In SQL, so the index below and every lookup use the same definition. A name that
-- is nothing but a legal form keeps it; an empty one is null and matches nothing.
CREATE FUNCTION baton_company_key(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
RETURN nullif(regexp_replace(
  btrim(regexp_replace(regexp_replace(lower(p_name), '[.''’]', '', 'g'), '[[:space:][:punct:]]+', ' ', 'g')),
  '( (inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|lp|plc|gmbh|mbh|ag|kg|kgaa|se|sa|sas|sarl|srl|spa|bv|nv|oy|oyj|ab|as|asa|aps|kk|pty|pte|pvt|bhd|sl|sro|zrt|doo))+$',
  '', 'g'), '');
--> statement-breakpoint
CREATE INDEX "accounts_company_key_idx" ON "accounts" (baton_company_key("name"));

-- A tally row with each new conference. Migration 0005.
CREATE OR REPLACE FUNCTION confman_new_conference_tally() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO registration_tally (conference_id, confirmed, waiting, last_waitlist_seq, created_at, updated_at)
VALUES (NEW.id, 0, 0, 0, now(), now());
    RETURN NULL;
END
$$;

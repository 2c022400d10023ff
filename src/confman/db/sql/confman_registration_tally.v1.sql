-- Keeping registration_tally in step with every change of a registration's status. Migration 0005.
CREATE OR REPLACE FUNCTION confman_registration_tally() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d_confirmed INTEGER := 0;
    d_waiting INTEGER := 0;
    v_seq INTEGER := 0;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        d_confirmed := d_confirmed - (OLD.status = 'confirmed')::INTEGER;
        d_waiting := d_waiting - (OLD.status = 'waitlisted')::INTEGER;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        d_confirmed := d_confirmed + (NEW.status = 'confirmed')::INTEGER;
        d_waiting := d_waiting + (NEW.status = 'waitlisted')::INTEGER;
        v_seq := coalesce(NEW.waitlist_seq, 0);
    END IF;
    -- The row is made with its conference; the insert below only guards against its absence.
    -- (Not an upsert: that would check negative deltas against the CHECK constraint before
    -- finding the existing row.)
    UPDATE registration_tally
       SET confirmed = confirmed + d_confirmed, waiting = waiting + d_waiting,
           last_waitlist_seq = greatest(last_waitlist_seq, v_seq), updated_at = now()
     WHERE conference_id = coalesce(NEW.conference_id, OLD.conference_id);
    IF NOT FOUND AND TG_OP <> 'DELETE' THEN
        INSERT INTO registration_tally AS t
               (conference_id, confirmed, waiting, last_waitlist_seq, created_at, updated_at)
        VALUES (NEW.conference_id, d_confirmed, d_waiting, v_seq, now(), now())
        ON CONFLICT (conference_id) DO UPDATE
           SET confirmed = t.confirmed + d_confirmed, waiting = t.waiting + d_waiting,
               last_waitlist_seq = greatest(t.last_waitlist_seq, v_seq), updated_at = now();
    END IF;
    RETURN NULL;
END
$$;

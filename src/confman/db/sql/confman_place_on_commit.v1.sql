-- Placing a registration at COMMIT, counting its conference's registrations. Migration 0003 (and 0005's downgrade).
CREATE OR REPLACE FUNCTION confman_place_on_commit() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_status TEXT;
    v_capacity INTEGER;
    v_waitlist BOOLEAN;
    v_confirmed INTEGER;
    v_waiting INTEGER;
    v_last INTEGER;
BEGIN
    -- Serialise placements of this conference until the commit ends. Each statement below
    -- takes a new snapshot (READ COMMITTED): it sees every placement committed before.
    PERFORM 1 FROM conference WHERE id = NEW.conference_id FOR NO KEY UPDATE;
    SELECT r.status INTO v_status FROM registration r WHERE r.id = NEW.registration_id;
    IF v_status IS DISTINCT FROM 'pending' THEN
        -- Placed meanwhile (a second confirmation), or gone: nothing to send.
        DELETE FROM mail_outbox WHERE id = NEW.id;
        RETURN NULL;
    END IF;
    SELECT s.capacity, s.waitlist INTO v_capacity, v_waitlist
      FROM registration_settings s WHERE s.conference_id = NEW.conference_id;
    IF NOT FOUND THEN
        v_capacity := NULL;
        v_waitlist := TRUE;
    END IF;
    SELECT count(*) FILTER (WHERE r.status = 'confirmed'), count(*) FILTER (WHERE r.status = 'waitlisted'),
           max(r.waitlist_seq)
      INTO v_confirmed, v_waiting, v_last
      FROM registration r WHERE r.conference_id = NEW.conference_id;
    IF v_capacity IS NULL OR v_confirmed < v_capacity THEN
        UPDATE registration SET status = 'confirmed', waitlist_seq = NULL,
               confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
         WHERE id = NEW.registration_id;
        UPDATE mail_outbox SET kind = 'confirmed' WHERE id = NEW.id;
    ELSIF v_waitlist THEN
        UPDATE registration SET status = 'waitlisted', waitlist_seq = coalesce(v_last, 0) + 1, updated_at = now()
         WHERE id = NEW.registration_id;
        UPDATE mail_outbox SET kind = 'waitlisted',
               context = jsonb_set(context, '{position}', to_jsonb(v_waiting + 1))
         WHERE id = NEW.id;
    ELSE
        RAISE EXCEPTION 'confman: conference full' USING ERRCODE = 'P0001', HINT = 'confman_full';
    END IF;
    RETURN NULL;
END
$$;

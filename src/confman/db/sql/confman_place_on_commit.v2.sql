-- Placing a registration at COMMIT from the tally row, answering with a notice in words. Migration 0005 (and 0006's downgrade).
CREATE OR REPLACE FUNCTION confman_place_on_commit() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_capacity INTEGER;
    v_waitlist BOOLEAN;
    v_confirmed INTEGER;
    v_waiting INTEGER;
    v_last INTEGER;
BEGIN
    -- Serialise placements of this conference until the commit ends. Each statement takes a
    -- new snapshot (READ COMMITTED): the counts include every placement committed before.
    SELECT t.confirmed, t.waiting, t.last_waitlist_seq, s.capacity, coalesce(s.waitlist, TRUE)
      INTO v_confirmed, v_waiting, v_last, v_capacity, v_waitlist
      FROM registration_tally t LEFT JOIN registration_settings s ON s.conference_id = t.conference_id
     WHERE t.conference_id = NEW.conference_id
       FOR UPDATE OF t;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'confman: no registration tally for conference %', NEW.conference_id;
    END IF;
    IF v_capacity IS NULL OR v_confirmed < v_capacity THEN
        UPDATE registration SET status = 'confirmed', waitlist_seq = NULL,
               confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
         WHERE id = NEW.registration_id AND status = 'pending';
        IF FOUND THEN
            UPDATE mail_outbox SET kind = 'confirmed' WHERE id = NEW.id;
            RAISE NOTICE 'confman placed % confirmed', NEW.registration_id;
            RETURN NULL;
        END IF;
    ELSIF v_waitlist THEN
        UPDATE registration SET status = 'waitlisted', waitlist_seq = v_last + 1, updated_at = now()
         WHERE id = NEW.registration_id AND status = 'pending';
        IF FOUND THEN
            UPDATE mail_outbox SET kind = 'waitlisted',
                   context = jsonb_set(context, '{position}', to_jsonb(v_waiting + 1))
             WHERE id = NEW.id;
            RAISE NOTICE 'confman placed % waitlisted %', NEW.registration_id, v_waiting + 1;
            RETURN NULL;
        END IF;
    ELSIF EXISTS (SELECT 1 FROM registration WHERE id = NEW.registration_id AND status = 'pending') THEN
        RAISE EXCEPTION 'confman: conference full' USING ERRCODE = 'P0001', HINT = 'confman_full';
    END IF;
    -- Placed meanwhile (a second confirmation), or gone: nothing to send.
    DELETE FROM mail_outbox WHERE id = NEW.id;
    RETURN NULL;
END
$$;

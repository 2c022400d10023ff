-- Placing a registration at COMMIT, deciding with confman_seat_rule, and answering in a form
-- the client reads without parsing words: the notice 'confman.placed' whose DETAIL is JSON
-- {"registration": id, "status": "confirmed" | "waitlisted", "position": n | null}, and
-- SQLSTATE CF001 when the conference is full (no waiting list). Migration 0006.
CREATE OR REPLACE FUNCTION confman_place_on_commit() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_capacity INTEGER;
    v_waitlist BOOLEAN;
    v_confirmed INTEGER;
    v_waiting INTEGER;
    v_last INTEGER;
    v_grant TEXT;
    v_seq INTEGER;
    v_position INTEGER;
BEGIN
    -- Serialise placements of this conference until the commit ends. Each statement takes a
    -- new snapshot (READ COMMITTED): the counts include every placement committed before.
    -- (The rule is applied in a statement of its own: joined into this one, a placement that
    -- waited for the lock would decide on the counts it saw before the wait, because a row
    -- re-read after a wait is re-read only for the locked table, not for a function's result.)
    SELECT t.confirmed, t.waiting, t.last_waitlist_seq, s.capacity, coalesce(s.waitlist, TRUE)
      INTO v_confirmed, v_waiting, v_last, v_capacity, v_waitlist
      FROM registration_tally t LEFT JOIN registration_settings s ON s.conference_id = t.conference_id
     WHERE t.conference_id = NEW.conference_id
       FOR UPDATE OF t;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'confman: no registration tally for conference %', NEW.conference_id;
    END IF;
    SELECT d."grant", d.waitlist_seq, d."position" INTO v_grant, v_seq, v_position
      FROM confman_seat_rule(v_capacity, v_confirmed, v_waitlist, v_waiting, v_last) AS d;
    IF v_grant = 'seat' THEN
        UPDATE registration SET status = 'confirmed', waitlist_seq = NULL,
               confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
         WHERE id = NEW.registration_id AND status = 'pending';
        IF FOUND THEN
            UPDATE mail_outbox SET kind = 'confirmed' WHERE id = NEW.id;
            RAISE NOTICE USING MESSAGE = 'confman.placed', DETAIL = json_build_object(
                'registration', NEW.registration_id, 'status', 'confirmed', 'position', NULL)::TEXT;
            RETURN NULL;
        END IF;
    ELSIF v_grant = 'waitlist' THEN
        UPDATE registration SET status = 'waitlisted', waitlist_seq = v_seq, updated_at = now()
         WHERE id = NEW.registration_id AND status = 'pending';
        IF FOUND THEN
            UPDATE mail_outbox SET kind = 'waitlisted',
                   context = jsonb_set(context, '{position}', to_jsonb(v_position))
             WHERE id = NEW.id;
            RAISE NOTICE USING MESSAGE = 'confman.placed', DETAIL = json_build_object(
                'registration', NEW.registration_id, 'status', 'waitlisted', 'position', v_position)::TEXT;
            RETURN NULL;
        END IF;
    ELSIF EXISTS (SELECT 1 FROM registration WHERE id = NEW.registration_id AND status = 'pending') THEN
        RAISE EXCEPTION USING ERRCODE = 'CF001', MESSAGE = 'confman: conference full';
    END IF;
    -- Placed meanwhile (a second confirmation), or gone: nothing to send.
    DELETE FROM mail_outbox WHERE id = NEW.id;
    RETURN NULL;
END
$$;

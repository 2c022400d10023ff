-- An e-mail that the placement at COMMIT renames from 'placed' to what it gave gets the event
-- it delivers (registration.confirmed / registration.waitlisted, with the position): written
-- in the same statement, so the placement's event is in the outbox with its e-mail.
CREATE OR REPLACE FUNCTION confman_placement_event() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_event_id BIGINT;
BEGIN
    INSERT INTO outbox_event (name, payload_version, payload, conference_id, created_at, updated_at)
    VALUES ('registration.' || NEW.kind, 1,
            CASE WHEN NEW.kind = 'waitlisted'
                 THEN jsonb_build_object('registration_id', NEW.registration_id,
                                         'position', NEW.context -> 'position')
                 ELSE jsonb_build_object('registration_id', NEW.registration_id)
            END,
            NEW.conference_id, now(), now())
    RETURNING id INTO v_event_id;
    NEW.event_id := v_event_id;
    RETURN NEW;
END
$$

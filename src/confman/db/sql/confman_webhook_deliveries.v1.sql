-- A webhook delivery for each enabled endpoint of the event's conference that subscribed to
-- its name, in the transaction that writes the event. Migration 0013.
CREATE OR REPLACE FUNCTION confman_webhook_deliveries() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO webhook_delivery (endpoint_id, event_id, webhook_id, event_type, order_key, status, attempts,
                                  next_attempt_at, due_since, created_at, updated_at)
    SELECT e.id, NEW.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.name,
           coalesce('registration:' || (NEW.payload ->> 'registration_id'),
                    'session:' || (NEW.payload ->> 'session_id'), 'conference'),
           'pending', 0, NEW.created_at, NEW.created_at, NEW.created_at, NEW.created_at
      FROM webhook_endpoint e
     WHERE e.conference_id = NEW.conference_id AND e.enabled
       AND e.event_types @> jsonb_build_array(NEW.name)
     ORDER BY e.id;
    RETURN NULL;
END
$$;

-- The seat rule (registration/seat_rule.py is its Python twin; tests hold them to the same answers).
-- Inside the lock: a seat while one is free, else the end of the waiting list when it is on,
-- else nothing. capacity NULL means unlimited. Migration 0006.
CREATE OR REPLACE FUNCTION confman_seat_rule(
    capacity INTEGER, confirmed INTEGER, waitlist BOOLEAN, waiting INTEGER, last_seq INTEGER,
    OUT "grant" TEXT, OUT waitlist_seq INTEGER, OUT "position" INTEGER
)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF capacity IS NULL OR confirmed < capacity THEN
        "grant" := 'seat';
    ELSIF waitlist THEN
        "grant" := 'waitlist';
        waitlist_seq := last_seq + 1;
        "position" := waiting + 1;
    ELSE
        "grant" := 'full';
    END IF;
END
$$;

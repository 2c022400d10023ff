"""Conference sessions, their speakers, and the programme's change history."""

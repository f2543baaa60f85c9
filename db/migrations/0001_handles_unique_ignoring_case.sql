-- Handles are matched without case (a user types "@Bayko" for bayko), so two handles that differ only in case
-- would make a lookup ambiguous: uniqueness now holds on the lowered handle, and the index serves the lookup.
-- Safe to run again. On existing data with such a pair it fails and names it: rename one of the two first.
CREATE UNIQUE INDEX IF NOT EXISTS users_handle_lower_key ON public.users (lower(handle));

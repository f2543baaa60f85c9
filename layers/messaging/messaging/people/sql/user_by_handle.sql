-- The other member of a new conversation, by their public handle, whatever its case (unique index on lower()).
SELECT uuid::text, display_name, handle
FROM public.users
WHERE lower(handle) = lower(%(handle)s)

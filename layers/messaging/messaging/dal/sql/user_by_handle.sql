-- The other member of a new conversation, by their public handle.
SELECT uuid::text, display_name, handle
FROM public.users
WHERE handle = %(handle)s

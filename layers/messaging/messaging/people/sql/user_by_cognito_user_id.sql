-- The caller of a request: the user whose Cognito identity (the token's sub) is %(cognito_user_id)s.
SELECT uuid::text, display_name, handle
FROM public.users
WHERE cognito_user_id = %(cognito_user_id)s

-- Cruddur user profiles (the layer reads them through db/sql/). Safe to run again: it never drops data.
CREATE TABLE IF NOT EXISTS public.users (
    uuid            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name    text NOT NULL,
    handle          text UNIQUE NOT NULL,
    email           text UNIQUE NOT NULL,
    cognito_user_id text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The users of the course notes. Fixed uuids keep local conversations stable across restarts; ON CONFLICT makes
-- the seed safe to run again. cognito_user_id is filled in by bin/db/update_cognito_user_ids (or the local stack).
INSERT INTO public.users (uuid, display_name, handle, email)
VALUES
    ('6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0001', 'Andrew Brown', 'andrewbrown', 'andrew@cruddur.example'),
    ('6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0002', 'Andrew Bayko', 'bayko', 'bayko@cruddur.example'),
    ('6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0003', 'Londo Mollari', 'londo', 'londo@cruddur.example'),
    ('6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0004', 'Worf', 'worf', 'worf@cruddur.example'),
    ('6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0005', 'Garek', 'garek', 'garek@cruddur.example')
ON CONFLICT DO NOTHING;

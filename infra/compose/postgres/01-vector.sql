-- Runs once, when docker-compose's postgres volume is first initialised. The store's
-- migrations also create the extension; doing it here lets them run as a non-superuser.
CREATE EXTENSION IF NOT EXISTS vector;

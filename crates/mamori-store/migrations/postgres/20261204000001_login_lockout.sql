-- A run of failed sign-ins closes the account until `locked_until` (a time as stored, JST
-- RFC 3339), a delay that doubles with each further failure; it opens again by itself.
-- `locked` stays the deliberate lock (a violation's suspension) that only an administrator
-- or `mamori user unlock` lifts.
ALTER TABLE users ADD COLUMN locked_until TEXT;

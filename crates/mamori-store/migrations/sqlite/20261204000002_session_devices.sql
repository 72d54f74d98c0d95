-- What the page ログイン中の端末 shows of each session: the browser it came from and the
-- client's address at sign-in. The index serves that list and ending a person's sessions.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_address TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions (user_id, ended);

-- Teams group agents for supervisors: the wall filters by team, reports
-- will sum by it. Deleting a team leaves its agents teamless.
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 64),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX teams_name ON teams (name COLLATE NOCASE);

-- The supervisors who lead a team (optional; a user leaving drops out).
CREATE TABLE team_supervisors (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;

ALTER TABLE agents ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
CREATE INDEX agents_team ON agents (team_id) WHERE team_id IS NOT NULL;

-- The Graph report days pulled, per tool: a sync pulls the days within
-- Graph's 28 that are missing here, and re-pulls the latest few. A day
-- Graph has not published yet is not recorded, so it is tried again.
CREATE TABLE report_pull (
    tool_id    INTEGER NOT NULL REFERENCES tool (id),
    day        DATE NOT NULL,
    rows       INTEGER NOT NULL,
    pulled_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tool_id, day)
);

-- Who runs a scheduled job (a sync) now, so that several app servers on
-- one database never run the same job at once. On PostgreSQL an advisory
-- lock held for the job's length is the exclusion and this row only says
-- who holds it; on SQLite the row is a lease, renewed while the job runs.
CREATE TABLE job_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- The last day a tool saw a person, counted use or not: Graph's Last
-- Activity Date, from the detail reports and the active-user report. It
-- only moves forward, and it is never activity.
CREATE TABLE person_tool_seen (
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    tool_id    INTEGER NOT NULL REFERENCES tool (id),
    last_seen  DATE NOT NULL,
    PRIMARY KEY (staff_id, tool_id)
);

-- The licences in the latest active-user report
-- (getOffice365ActiveUserDetail): one row per person and licensed tool.
-- A newer report replaces them all; an older one leaves them.
CREATE TABLE tool_licence (
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    tool_id      INTEGER NOT NULL REFERENCES tool (id),
    assigned_on  DATE,
    PRIMARY KEY (staff_id, tool_id)
);

-- Each active-user report stored: its day, its rows and the names in it
-- that match nobody on the roster. The latest day is the licences' day.
CREATE TABLE licence_report (
    day        DATE PRIMARY KEY,
    rows       INTEGER NOT NULL,
    unmatched  INTEGER NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL
);

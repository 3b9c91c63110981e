-- Each rollup cell's detail: the histograms behind median time to first
-- use and median depth, the counts behind "used within 30 days", and
-- retention cohorts. One row per node, subject and month, like
-- rollup_block, encoded by domain::rollup::MonthBlock<Detail>.
CREATE TABLE rollup_detail (
    node_id  INTEGER NOT NULL,
    subject  TEXT NOT NULL,
    month    DATE NOT NULL,
    cells    BYTEA NOT NULL,
    PRIMARY KEY (node_id, subject, month)
);

-- Rollups built before this table existed have no detail: forget them, so
-- that the next ingest or `uptake rebuild` builds both.
DELETE FROM rollup_block;
DELETE FROM rollup_state;

-- A refresh reads one month of both tables, to merge the days it keeps.
CREATE INDEX rollup_block_month ON rollup_block (month);
CREATE INDEX rollup_detail_month ON rollup_detail (month);

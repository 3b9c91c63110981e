-- Each rollup cell's detail: the histograms behind median time to first
-- use and median depth, the counts behind "used within 30 days", and
-- retention cohorts. One row per node, subject and month, like
-- rollup_block, encoded by domain::rollup::MonthBlock<Detail>.
--
-- Both tables keep their rows in rowid order with the key in an index of
-- its own. A build writes month by month while the key runs node by node,
-- so a table ordered by the key (WITHOUT ROWID) had every month's write
-- touch every page of a table of large rows; now the rows are appended
-- and only the small index entries are spread out.
CREATE TABLE rollup_detail (
    node_id  INTEGER NOT NULL,
    subject  TEXT NOT NULL,
    month    TEXT NOT NULL,
    cells    BLOB NOT NULL,
    PRIMARY KEY (node_id, subject, month)
);

-- Rollups built before this table existed have no detail: forget them, so
-- that the next ingest or `uptake rebuild` builds both.
DROP TABLE rollup_block;
CREATE TABLE rollup_block (
    node_id  INTEGER NOT NULL,
    subject  TEXT NOT NULL,
    month    TEXT NOT NULL,
    cells    BLOB NOT NULL,
    PRIMARY KEY (node_id, subject, month)
);
DELETE FROM rollup_state;

-- A refresh reads one month of both tables, to merge the days it keeps.
CREATE INDEX rollup_block_month ON rollup_block (month);
CREATE INDEX rollup_detail_month ON rollup_detail (month);

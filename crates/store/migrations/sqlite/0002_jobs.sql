-- The job scheduler (platform.md §7). `run_at` is in the owning merchant's business time (real
-- time plus its sandbox clock offset; real time for jobs without a merchant), so advancing a
-- test clock makes that merchant's jobs due. `locked_until` is a lease in real time: a crashed
-- worker's job becomes claimable again when it lapses. `attempts` doubles as a fencing token.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants (id),
    mode TEXT,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    locked_by TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_merchant ON jobs (merchant_id, state, run_at);

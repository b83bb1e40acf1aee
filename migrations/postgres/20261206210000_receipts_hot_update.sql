-- Recording a receipt (`receipt_sent_at`, once per submission, within 20 ms of its send) was
-- the intake's costliest write on PostgreSQL: the column sat in this index's predicate, so
-- every record was a non-HOT update that inserted into all nine of the posts' indexes (the
-- trigram GIN index among them). Without it the record is a HOT update on the same page
-- (fillfactor 80). The sweep for missing receipts (once a minute) reads the pending posts by
-- posts_status_arrived instead.
DROP INDEX IF EXISTS posts_unreceipted;

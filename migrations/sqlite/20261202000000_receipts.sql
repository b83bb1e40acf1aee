-- When the author's receipt went out: a redelivered update of a stored submission whose
-- receipt is not recorded (the process died between the commit and the reply) sends it then.
ALTER TABLE posts ADD COLUMN receipt_sent_at TEXT;
-- Posts stored before this migration were receipted by the code of the day.
UPDATE posts SET receipt_sent_at = created_at;

-- Who acted in what role and from where, so that the log answers "from
-- where" without joining users (roles change). Older entries keep ''.
ALTER TABLE audit_log ADD COLUMN role TEXT NOT NULL DEFAULT ''
    CONSTRAINT role CHECK (role IN ('', 'agent', 'supervisor', 'admin'));
ALTER TABLE audit_log ADD COLUMN remote TEXT NOT NULL DEFAULT ''
    CONSTRAINT remote CHECK (length(remote) <= 64);

-- The reading filters, each with id for newest-first keyset paging.
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

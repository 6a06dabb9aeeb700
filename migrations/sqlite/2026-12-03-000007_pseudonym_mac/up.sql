-- The MAC binding each pseudonym to its user (security review M7): who acted is no longer
-- decided by a table outside the chain that anyone with database access could change.
-- Existing rows are sealed once at the next start (AuditService::seal_legacy_pseudonyms).
ALTER TABLE audit_pseudonyms ADD COLUMN mac TEXT;

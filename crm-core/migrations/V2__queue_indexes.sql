-- Helpdesk queues list a team's tickets and a channel's open conversations; index both so those
-- pages cost the same at any depth.
CREATE INDEX tickets_team ON tickets (tenant_id, team_id, id) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_status ON conversations (tenant_id, status, id);

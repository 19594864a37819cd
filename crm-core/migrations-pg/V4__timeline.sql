-- PostgreSQL's version 4 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V4__timeline.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- The unified timeline: one row per (owner, event), where the owner is the customer, lead or deal
-- whose timeline shows the event. Rows hold only the ordering key, the owner and the channel
-- (what filters need); titles and bodies are read from the source records when a page is shown,
-- so an edited subject or name is never stale here.
--
-- `timeline_sources` defines membership once, as a query over the source tables. The triggers
-- below keep `timeline_entries` equal to it inside the writing transaction; crm-core's
-- `timeline::verify` compares the two and `timeline::rebuild` refills the table from the view.
CREATE TABLE timeline_entries (
    tenant_id   BIGINT NOT NULL,
    owner_type  TEXT NOT NULL CHECK (owner_type IN ('customer', 'lead', 'deal')),
    owner_id    BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'conversation', 'ticket_event', 'lead_activity',
                                              'deal_activity', 'quote_activity', 'call')),
    source_id   BIGINT NOT NULL,
    channel     TEXT,
    -- Newest first is this key read backwards; (kind, source_id) breaks ties between events of
    -- the same millisecond and never changes, so keyset pages neither repeat nor skip.
    PRIMARY KEY (tenant_id, owner_type, owner_id, occurred_at, kind, source_id)
);
-- Filtered pages merge one range scan per (kind, channel) pair of this index.
CREATE INDEX timeline_entries_filter
    ON timeline_entries (tenant_id, owner_type, owner_id, kind, channel, occurred_at, source_id);

CREATE VIEW timeline_sources (tenant_id, owner_type, owner_id, occurred_at, kind, source_id, channel) AS
    SELECT tenant_id, 'customer', customer_id, created_at, 'conversation', id, channel
      FROM conversations
    UNION ALL
    SELECT m.tenant_id, 'customer', c.customer_id, m.sent_at, 'message', m.id, c.channel
      FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
    UNION ALL
    SELECT e.tenant_id, 'customer', t.customer_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.customer_id IS NOT NULL
    UNION ALL
    SELECT e.tenant_id, 'lead', t.related_lead_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.related_lead_id IS NOT NULL
    UNION ALL
    SELECT e.tenant_id, 'deal', t.related_deal_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.related_deal_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'lead', lead_id, occurred_at, 'lead_activity', id, NULL
      FROM activities WHERE lead_id IS NOT NULL
    UNION ALL
    SELECT a.tenant_id, 'customer', l.customer_id, a.occurred_at, 'lead_activity', a.id, NULL
      FROM activities a JOIN leads l ON l.tenant_id = a.tenant_id AND l.id = a.lead_id
     WHERE l.customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'deal', deal_id, occurred_at, 'deal_activity', id, NULL
      FROM activities WHERE deal_id IS NOT NULL
    UNION ALL
    SELECT a.tenant_id, 'customer', d.customer_id, a.occurred_at, 'deal_activity', a.id, NULL
      FROM activities a JOIN deals d ON d.tenant_id = a.tenant_id AND d.id = a.deal_id
     WHERE d.customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'customer', customer_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'lead', lead_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE lead_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'deal', deal_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE deal_id IS NOT NULL;

INSERT INTO timeline_entries SELECT * FROM timeline_sources;

-- Every write path is covered by these triggers, so the table cannot drift from the view.
CREATE FUNCTION timeline_conversation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries VALUES
        (NEW.tenant_id, 'customer', NEW.customer_id, NEW.created_at, 'conversation', NEW.id, NEW.channel);
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_conversation_insert AFTER INSERT ON conversations
FOR EACH ROW
EXECUTE FUNCTION timeline_conversation_insert();

CREATE FUNCTION timeline_message_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.sent_at, 'message', NEW.id, channel
      FROM conversations WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_message_insert AFTER INSERT ON messages
FOR EACH ROW
EXECUTE FUNCTION timeline_message_insert();

CREATE FUNCTION timeline_ticket_event_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND customer_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'lead', related_lead_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND related_lead_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'deal', related_deal_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND related_deal_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_ticket_event_insert AFTER INSERT ON ticket_events
FOR EACH ROW
EXECUTE FUNCTION timeline_ticket_event_insert();

CREATE FUNCTION timeline_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'lead', NEW.lead_id, NEW.occurred_at, 'lead_activity', NEW.id, NULL
     WHERE NEW.lead_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.occurred_at, 'lead_activity', NEW.id, NULL
      FROM leads WHERE tenant_id = NEW.tenant_id AND id = NEW.lead_id AND customer_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'deal', NEW.deal_id, NEW.occurred_at, 'deal_activity', NEW.id, NULL
     WHERE NEW.deal_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.occurred_at, 'deal_activity', NEW.id, NULL
      FROM deals WHERE tenant_id = NEW.tenant_id AND id = NEW.deal_id AND customer_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_activity_insert AFTER INSERT ON activities
FOR EACH ROW
EXECUTE FUNCTION timeline_activity_insert();

CREATE FUNCTION timeline_call_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', NEW.customer_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.customer_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'lead', NEW.lead_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.lead_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'deal', NEW.deal_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.deal_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_call_insert AFTER INSERT ON calls
FOR EACH ROW
EXECUTE FUNCTION timeline_call_insert();

-- Re-assigning, linking or unlinking a ticket (or changing its channel) moves its events.
CREATE FUNCTION timeline_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.channel IS DISTINCT FROM NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.related_lead_id
       AND (OLD.related_lead_id IS DISTINCT FROM NEW.related_lead_id OR OLD.channel IS DISTINCT FROM NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.related_deal_id
       AND (OLD.related_deal_id IS DISTINCT FROM NEW.related_deal_id OR OLD.channel IS DISTINCT FROM NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.customer_id IS NOT NULL
       AND (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.channel IS DISTINCT FROM NEW.channel);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'lead', NEW.related_lead_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.related_lead_id IS NOT NULL
       AND (OLD.related_lead_id IS DISTINCT FROM NEW.related_lead_id OR OLD.channel IS DISTINCT FROM NEW.channel);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'deal', NEW.related_deal_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.related_deal_id IS NOT NULL
       AND (OLD.related_deal_id IS DISTINCT FROM NEW.related_deal_id OR OLD.channel IS DISTINCT FROM NEW.channel);
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_ticket_update AFTER UPDATE OF customer_id, related_lead_id, related_deal_id, channel ON tickets
FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.related_lead_id IS DISTINCT FROM NEW.related_lead_id OR OLD.related_deal_id IS DISTINCT FROM NEW.related_deal_id OR OLD.channel IS DISTINCT FROM NEW.channel)
EXECUTE FUNCTION timeline_ticket_update();

-- A lead or deal given to another customer takes its activities to that customer's timeline.
CREATE FUNCTION timeline_lead_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'lead_activity', id FROM activities WHERE tenant_id = OLD.tenant_id AND lead_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'lead_activity', id, NULL
      FROM activities WHERE tenant_id = NEW.tenant_id AND lead_id = NEW.id AND NEW.customer_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_lead_update AFTER UPDATE OF customer_id ON leads
FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
EXECUTE FUNCTION timeline_lead_update();

CREATE FUNCTION timeline_deal_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'deal_activity', id FROM activities WHERE tenant_id = OLD.tenant_id AND deal_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'deal_activity', id, NULL
      FROM activities WHERE tenant_id = NEW.tenant_id AND deal_id = NEW.id AND NEW.customer_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_deal_update AFTER UPDATE OF customer_id ON deals
FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
EXECUTE FUNCTION timeline_deal_update();

-- No code path edits an event's time or owner, or deletes an event; should one appear, it must
-- move the event's timeline rows too. These refuse it until then, rather than let the
-- timeline drift from its sources.
CREATE FUNCTION timeline_conversations_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: conversations.customer_id/channel/created_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_conversations_fixed BEFORE UPDATE OF customer_id, channel, created_at ON conversations
FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.channel IS DISTINCT FROM NEW.channel OR OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION timeline_conversations_fixed();
CREATE FUNCTION timeline_conversations_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: conversations cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_conversations_kept BEFORE DELETE ON conversations
FOR EACH ROW
EXECUTE FUNCTION timeline_conversations_kept();
CREATE FUNCTION timeline_messages_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: messages.conversation_id/sent_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_messages_fixed BEFORE UPDATE OF conversation_id, sent_at ON messages
FOR EACH ROW
WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id OR OLD.sent_at IS DISTINCT FROM NEW.sent_at)
EXECUTE FUNCTION timeline_messages_fixed();
CREATE FUNCTION timeline_messages_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: messages cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_messages_kept BEFORE DELETE ON messages
FOR EACH ROW
EXECUTE FUNCTION timeline_messages_kept();
CREATE FUNCTION timeline_ticket_events_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: ticket_events.ticket_id/occurred_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_ticket_events_fixed BEFORE UPDATE OF ticket_id, occurred_at ON ticket_events
FOR EACH ROW
WHEN (OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
EXECUTE FUNCTION timeline_ticket_events_fixed();
CREATE FUNCTION timeline_ticket_events_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: ticket_events cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_ticket_events_kept BEFORE DELETE ON ticket_events
FOR EACH ROW
EXECUTE FUNCTION timeline_ticket_events_kept();
CREATE FUNCTION timeline_activities_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: activities.lead_id/deal_id/occurred_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_activities_fixed BEFORE UPDATE OF lead_id, deal_id, occurred_at ON activities
FOR EACH ROW
WHEN (OLD.lead_id IS DISTINCT FROM NEW.lead_id OR OLD.deal_id IS DISTINCT FROM NEW.deal_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
EXECUTE FUNCTION timeline_activities_fixed();
CREATE FUNCTION timeline_activities_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: activities cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_activities_kept BEFORE DELETE ON activities
FOR EACH ROW
EXECUTE FUNCTION timeline_activities_kept();
CREATE FUNCTION timeline_calls_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: calls.customer_id/lead_id/deal_id/occurred_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_calls_fixed BEFORE UPDATE OF customer_id, lead_id, deal_id, occurred_at ON calls
FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.lead_id IS DISTINCT FROM NEW.lead_id OR OLD.deal_id IS DISTINCT FROM NEW.deal_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
EXECUTE FUNCTION timeline_calls_fixed();
CREATE FUNCTION timeline_calls_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: calls cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_calls_kept BEFORE DELETE ON calls
FOR EACH ROW
EXECUTE FUNCTION timeline_calls_kept();

-- The unified timeline: one row per (owner, event), where the owner is the customer, lead or deal
-- whose timeline shows the event. Rows hold only the ordering key, the owner and the channel
-- (what filters need); titles and bodies are read from the source records when a page is shown,
-- so an edited subject or name is never stale here.
--
-- `timeline_sources` defines membership once, as a query over the source tables. The triggers
-- below keep `timeline_entries` equal to it inside the writing transaction; crm-core's
-- `timeline::verify` compares the two and `timeline::rebuild` refills the table from the view.
CREATE TABLE timeline_entries (
    tenant_id   INTEGER NOT NULL,
    owner_type  TEXT NOT NULL CHECK (owner_type IN ('customer', 'lead', 'deal')),
    owner_id    INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'conversation', 'ticket_event', 'lead_activity',
                                              'deal_activity', 'quote_activity', 'call')),
    source_id   INTEGER NOT NULL,
    channel     TEXT,
    -- Newest first is this key read backwards; (kind, source_id) breaks ties between events of
    -- the same millisecond and never changes, so keyset pages neither repeat nor skip.
    PRIMARY KEY (tenant_id, owner_type, owner_id, occurred_at, kind, source_id)
) WITHOUT ROWID;
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
CREATE TRIGGER timeline_conversation_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO timeline_entries VALUES
        (NEW.tenant_id, 'customer', NEW.customer_id, NEW.created_at, 'conversation', NEW.id, NEW.channel);
END;

CREATE TRIGGER timeline_message_insert AFTER INSERT ON messages BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.sent_at, 'message', NEW.id, channel
      FROM conversations WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id;
END;

CREATE TRIGGER timeline_ticket_event_insert AFTER INSERT ON ticket_events BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', customer_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND customer_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'lead', related_lead_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND related_lead_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'deal', related_deal_id, NEW.occurred_at, 'ticket_event', NEW.id, channel
      FROM tickets WHERE tenant_id = NEW.tenant_id AND id = NEW.ticket_id AND related_deal_id IS NOT NULL;
END;

CREATE TRIGGER timeline_activity_insert AFTER INSERT ON activities BEGIN
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
END;

CREATE TRIGGER timeline_call_insert AFTER INSERT ON calls BEGIN
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', NEW.customer_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.customer_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'lead', NEW.lead_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.lead_id IS NOT NULL;
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'deal', NEW.deal_id, NEW.occurred_at, 'call', NEW.id, 'phone'
     WHERE NEW.deal_id IS NOT NULL;
END;

-- Re-assigning, linking or unlinking a ticket (or changing its channel) moves its events.
CREATE TRIGGER timeline_ticket_update
AFTER UPDATE OF customer_id, related_lead_id, related_deal_id, channel ON tickets
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.related_lead_id IS NOT NEW.related_lead_id
  OR OLD.related_deal_id IS NOT NEW.related_deal_id OR OLD.channel IS NOT NEW.channel
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (OLD.customer_id IS NOT NEW.customer_id OR OLD.channel IS NOT NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.related_lead_id
       AND (OLD.related_lead_id IS NOT NEW.related_lead_id OR OLD.channel IS NOT NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.related_deal_id
       AND (OLD.related_deal_id IS NOT NEW.related_deal_id OR OLD.channel IS NOT NEW.channel)
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'ticket_event', id FROM ticket_events WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.customer_id IS NOT NULL
       AND (OLD.customer_id IS NOT NEW.customer_id OR OLD.channel IS NOT NEW.channel);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'lead', NEW.related_lead_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.related_lead_id IS NOT NULL
       AND (OLD.related_lead_id IS NOT NEW.related_lead_id OR OLD.channel IS NOT NEW.channel);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'deal', NEW.related_deal_id, occurred_at, 'ticket_event', id, NEW.channel
      FROM ticket_events
     WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id AND NEW.related_deal_id IS NOT NULL
       AND (OLD.related_deal_id IS NOT NEW.related_deal_id OR OLD.channel IS NOT NEW.channel);
END;

-- A lead or deal given to another customer takes its activities to that customer's timeline.
CREATE TRIGGER timeline_lead_update AFTER UPDATE OF customer_id ON leads
WHEN OLD.customer_id IS NOT NEW.customer_id
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'lead_activity', id FROM activities WHERE tenant_id = OLD.tenant_id AND lead_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'lead_activity', id, NULL
      FROM activities WHERE tenant_id = NEW.tenant_id AND lead_id = NEW.id AND NEW.customer_id IS NOT NULL;
END;

CREATE TRIGGER timeline_deal_update AFTER UPDATE OF customer_id ON deals
WHEN OLD.customer_id IS NOT NEW.customer_id
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND (occurred_at, kind, source_id) IN
           (SELECT occurred_at, 'deal_activity', id FROM activities WHERE tenant_id = OLD.tenant_id AND deal_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, occurred_at, 'deal_activity', id, NULL
      FROM activities WHERE tenant_id = NEW.tenant_id AND deal_id = NEW.id AND NEW.customer_id IS NOT NULL;
END;

-- No code path edits an event's time or owner, or deletes an event; should one appear, it must
-- move the event's timeline rows too. These refuse it until then, rather than let the
-- timeline drift from its sources.
CREATE TRIGGER timeline_conversations_fixed BEFORE UPDATE OF customer_id, channel, created_at ON conversations
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.channel IS NOT NEW.channel OR OLD.created_at IS NOT NEW.created_at
BEGIN
    SELECT RAISE(ABORT, 'timeline: conversations.customer_id/channel/created_at cannot change');
END;
CREATE TRIGGER timeline_conversations_kept BEFORE DELETE ON conversations BEGIN
    SELECT RAISE(ABORT, 'timeline: conversations cannot be deleted');
END;
CREATE TRIGGER timeline_messages_fixed BEFORE UPDATE OF conversation_id, sent_at ON messages
WHEN OLD.conversation_id IS NOT NEW.conversation_id OR OLD.sent_at IS NOT NEW.sent_at
BEGIN
    SELECT RAISE(ABORT, 'timeline: messages.conversation_id/sent_at cannot change');
END;
CREATE TRIGGER timeline_messages_kept BEFORE DELETE ON messages BEGIN
    SELECT RAISE(ABORT, 'timeline: messages cannot be deleted');
END;
CREATE TRIGGER timeline_ticket_events_fixed BEFORE UPDATE OF ticket_id, occurred_at ON ticket_events
WHEN OLD.ticket_id IS NOT NEW.ticket_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    SELECT RAISE(ABORT, 'timeline: ticket_events.ticket_id/occurred_at cannot change');
END;
CREATE TRIGGER timeline_ticket_events_kept BEFORE DELETE ON ticket_events BEGIN
    SELECT RAISE(ABORT, 'timeline: ticket_events cannot be deleted');
END;
CREATE TRIGGER timeline_activities_fixed BEFORE UPDATE OF lead_id, deal_id, occurred_at ON activities
WHEN OLD.lead_id IS NOT NEW.lead_id OR OLD.deal_id IS NOT NEW.deal_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    SELECT RAISE(ABORT, 'timeline: activities.lead_id/deal_id/occurred_at cannot change');
END;
CREATE TRIGGER timeline_activities_kept BEFORE DELETE ON activities BEGIN
    SELECT RAISE(ABORT, 'timeline: activities cannot be deleted');
END;
CREATE TRIGGER timeline_calls_fixed BEFORE UPDATE OF customer_id, lead_id, deal_id, occurred_at ON calls
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.lead_id IS NOT NEW.lead_id OR OLD.deal_id IS NOT NEW.deal_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    SELECT RAISE(ABORT, 'timeline: calls.customer_id/lead_id/deal_id/occurred_at cannot change');
END;
CREATE TRIGGER timeline_calls_kept BEFORE DELETE ON calls BEGIN
    SELECT RAISE(ABORT, 'timeline: calls cannot be deleted');
END;

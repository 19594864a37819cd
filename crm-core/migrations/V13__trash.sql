-- The trash (API.md "Deletes, trash, merge and erasure"). A deleted record and what goes with
-- it (its group) leave their tables for these two: every read of a record table — get, lists,
-- `where`, search, timelines, segments, analytics, the board, exports, duplicates, auto-link —
-- sees only live rows without a filter of its own, and a restore puts the rows back as they
-- were (same ids, same values).
CREATE TABLE trash_groups (
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    id         INTEGER NOT NULL,
    -- The record the delete named (the group's root).
    kind       TEXT NOT NULL,
    record_id  INTEGER NOT NULL,
    title      TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    deleted_by INTEGER,
    -- Records in the group, the root included.
    size       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX trash_groups_deleted ON trash_groups (tenant_id, deleted_at, id);
CREATE UNIQUE INDEX trash_groups_root ON trash_groups (tenant_id, kind, record_id);

-- The rows of a group in the order they were removed (children first); restored in reverse.
-- A row is a JSON object of its columns. A reference a live record held to a member of the
-- group (a ticket's related lead) was cleared: `detached` rows keep `{column, value}` to set
-- it back.
CREATE TABLE trash_rows (
    tenant_id  INTEGER NOT NULL,
    group_id   INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    -- The record kind and id, for rows that are records (a ticket event is its ticket's).
    kind       TEXT,
    record_id  INTEGER,
    detached   INTEGER NOT NULL DEFAULT 0 CHECK (detached IN (0, 1)),
    row        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, position),
    FOREIGN KEY (tenant_id, group_id) REFERENCES trash_groups (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX trash_rows_record ON trash_rows (tenant_id, kind, record_id) WHERE kind IS NOT NULL;

-- A customer's segments are found by the customer when it leaves them.
CREATE INDEX segment_members_customer ON segment_members (tenant_id, customer_id);

-- Segment history outlives its customers: an exit is recorded when a customer goes to the
-- trash, and the history of counts stays true. Rebuilt without the reference to customers.
CREATE TABLE segment_history_new (
    seq         INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    segment_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('entered', 'exited')),
    at          INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id)
);
INSERT INTO segment_history_new (seq, tenant_id, segment_id, customer_id, change, at)
SELECT seq, tenant_id, segment_id, customer_id, change, at FROM segment_history;
DROP TABLE segment_history;
ALTER TABLE segment_history_new RENAME TO segment_history;
CREATE INDEX segment_history_segment ON segment_history (tenant_id, segment_id, seq);
CREATE INDEX segment_history_customer ON segment_history (tenant_id, segment_id, customer_id, seq);

-- The timeline's sources may now be deleted (to the trash) and some re-pointed (a call whose
-- lead went to the trash, a merge moving a customer's records): the triggers that refused it
-- give way to ones that keep `timeline_entries` equal to `timeline_sources`.
DROP TRIGGER timeline_conversations_kept;
DROP TRIGGER timeline_messages_kept;
DROP TRIGGER timeline_ticket_events_kept;
DROP TRIGGER timeline_activities_kept;
DROP TRIGGER timeline_calls_kept;
DROP TRIGGER timeline_quote_activities_kept;
DROP TRIGGER timeline_conversations_fixed;
DROP TRIGGER timeline_calls_fixed;
DROP TRIGGER timeline_quote_activities_fixed;
DROP TRIGGER timeline_activities_fixed;

-- Deletes run children first, so a message's conversation (a ticket event's ticket, an
-- activity's lead or deal) is still there to name the owners. Each owner is its own statement
-- on the whole primary key: an OR of owners would scan the tenant's timeline.
CREATE TRIGGER timeline_conversation_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.created_at AND kind = 'conversation' AND source_id = OLD.id;
END;

CREATE TRIGGER timeline_message_delete AFTER DELETE ON messages BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM conversations
                         WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id)
       AND occurred_at = OLD.sent_at AND kind = 'message' AND source_id = OLD.id;
END;

CREATE TRIGGER timeline_ticket_event_delete AFTER DELETE ON ticket_events BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM tickets WHERE tenant_id = OLD.tenant_id AND id = OLD.ticket_id)
       AND occurred_at = OLD.occurred_at AND kind = 'ticket_event' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead'
       AND owner_id IN (SELECT related_lead_id FROM tickets WHERE tenant_id = OLD.tenant_id AND id = OLD.ticket_id)
       AND occurred_at = OLD.occurred_at AND kind = 'ticket_event' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal'
       AND owner_id IN (SELECT related_deal_id FROM tickets WHERE tenant_id = OLD.tenant_id AND id = OLD.ticket_id)
       AND occurred_at = OLD.occurred_at AND kind = 'ticket_event' AND source_id = OLD.id;
END;

CREATE TRIGGER timeline_activity_delete AFTER DELETE ON activities BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.lead_id
       AND occurred_at = OLD.occurred_at AND kind = 'lead_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM leads WHERE tenant_id = OLD.tenant_id AND id = OLD.lead_id)
       AND occurred_at = OLD.occurred_at AND kind = 'lead_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'deal_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM deals WHERE tenant_id = OLD.tenant_id AND id = OLD.deal_id)
       AND occurred_at = OLD.occurred_at AND kind = 'deal_activity' AND source_id = OLD.id;
END;

CREATE TRIGGER timeline_call_delete AFTER DELETE ON calls BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.lead_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
END;

CREATE TRIGGER timeline_quote_activity_delete AFTER DELETE ON quote_activities BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'quote_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.occurred_at AND kind = 'quote_activity' AND source_id = OLD.id;
END;

-- Re-pointing a source moves its entries: those of the old row go, the new row's come.
CREATE TRIGGER timeline_conversation_update AFTER UPDATE OF customer_id, channel, created_at ON conversations
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.channel IS NOT NEW.channel OR OLD.created_at IS NOT NEW.created_at
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.created_at AND kind = 'conversation' AND source_id = OLD.id;
    INSERT INTO timeline_entries VALUES
        (NEW.tenant_id, 'customer', NEW.customer_id, NEW.created_at, 'conversation', NEW.id, NEW.channel);
    -- Its messages follow the conversation's customer and channel.
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND kind = 'message'
       AND (occurred_at, source_id) IN
           (SELECT sent_at, id FROM messages WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.id);
    INSERT INTO timeline_entries
    SELECT tenant_id, 'customer', NEW.customer_id, sent_at, 'message', id, NEW.channel
      FROM messages WHERE tenant_id = NEW.tenant_id AND conversation_id = NEW.id;
END;

CREATE TRIGGER timeline_call_update AFTER UPDATE OF customer_id, lead_id, deal_id, occurred_at ON calls
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.lead_id IS NOT NEW.lead_id
  OR OLD.deal_id IS NOT NEW.deal_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.lead_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'call' AND source_id = OLD.id;
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

CREATE TRIGGER timeline_quote_activity_update AFTER UPDATE OF deal_id, customer_id, occurred_at ON quote_activities
WHEN OLD.deal_id IS NOT NEW.deal_id OR OLD.customer_id IS NOT NEW.customer_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'quote_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer' AND owner_id = OLD.customer_id
       AND occurred_at = OLD.occurred_at AND kind = 'quote_activity' AND source_id = OLD.id;
    INSERT INTO timeline_entries VALUES
        (NEW.tenant_id, 'deal', NEW.deal_id, NEW.occurred_at, 'quote_activity', NEW.id, NULL);
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', NEW.customer_id, NEW.occurred_at, 'quote_activity', NEW.id, NULL
     WHERE NEW.customer_id IS NOT NULL;
END;

CREATE TRIGGER timeline_activity_update AFTER UPDATE OF lead_id, deal_id, occurred_at ON activities
WHEN OLD.lead_id IS NOT NEW.lead_id OR OLD.deal_id IS NOT NEW.deal_id OR OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'lead' AND owner_id = OLD.lead_id
       AND occurred_at = OLD.occurred_at AND kind = 'lead_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM leads WHERE tenant_id = OLD.tenant_id AND id = OLD.lead_id)
       AND occurred_at = OLD.occurred_at AND kind = 'lead_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'deal' AND owner_id = OLD.deal_id
       AND occurred_at = OLD.occurred_at AND kind = 'deal_activity' AND source_id = OLD.id;
    DELETE FROM timeline_entries
     WHERE tenant_id = OLD.tenant_id AND owner_type = 'customer'
       AND owner_id IN (SELECT customer_id FROM deals WHERE tenant_id = OLD.tenant_id AND id = OLD.deal_id)
       AND occurred_at = OLD.occurred_at AND kind = 'deal_activity' AND source_id = OLD.id;
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

-- Merging duplicates (`customers.merge`, `leads.merge`): a merged record's id answers
-- `not_found` with the record it went into.
CREATE TABLE merged_records (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    kind      TEXT NOT NULL,
    id        INTEGER NOT NULL,
    into_id   INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
) WITHOUT ROWID;

-- A merge or an erasure re-points a customer's quote activities.
CREATE INDEX quote_activities_customer ON quote_activities (tenant_id, customer_id)
    WHERE customer_id IS NOT NULL;

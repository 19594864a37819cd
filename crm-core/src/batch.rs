//! The bulk path: many writes in one transaction, for imports and generated data.

use crate::activities::{self, Activity, NewActivity};
use crate::calls::{self, Call, NewCall};
use crate::conversations::{self, Conversation, Message, NewConversation, NewMessage};
use crate::customers::{self, Customer, NewCustomer};
use crate::deals::{self, Deal, MoveStage, NewDeal, NewPipeline, Pipeline};
use crate::error::{Error, Result};
use crate::leads::{self, Lead, NewLead};
use crate::methods;
use crate::products::{self, NewProduct, Product};
use crate::quotes::lifecycle::SendQuote;
use crate::quotes::templates::{NewQuoteTemplate, QuoteTemplate};
use crate::quotes::{self, NewQuote, Quote};
use crate::store::Tx;
use crate::tenancy::{self, NewTeam, NewUser, Role, Scope, Team, User};
use crate::tickets::{self, NewTicket, NewTicketEvent, Ticket, TicketEvent};

/// Writes that commit together. Each is validated, audited and fed to the change feed exactly
/// as its single-request form; if any fails, the whole batch is rolled back — even if the
/// closure carries on after the error.
pub struct Batch<'t, 'c> {
    tx: &'t mut Tx<'c>,
    admin: bool,
    failed: Option<String>,
}

impl std::fmt::Debug for Batch<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Scope<'_> {
    /// Runs `f` with a [`Batch`]: everything it writes commits in one transaction, or nothing
    /// does. The actor must be allowed to write.
    pub fn batch<T>(&self, f: impl FnOnce(&mut Batch<'_, '_>) -> Result<T>) -> Result<T> {
        let admin = self.actor().is_some_and(|a| a.role == Role::Admin);
        self.write(|tx| {
            let mut batch = Batch {
                tx,
                admin,
                failed: None,
            };
            let value = f(&mut batch)?;
            match batch.failed {
                None => Ok(value),
                Some(first) => Err(Error::conflict(format!(
                    "batch rolled back: an operation failed: {first}"
                ))),
            }
        })
    }
}

macro_rules! batch_ops {
    ($($(#[$doc:meta])* $name:ident($input:ty) -> $output:ty = $op:path;)*) => {
        impl Batch<'_, '_> {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, input: $input) -> Result<$output> {
                    let result = $op(self.tx, input);
                    self.track(result)
                }
            )*
        }
    };
}

batch_ops! {
    /// `customers.create`, inside the batch's transaction.
    create_customer(NewCustomer) -> Customer = customers::create;
    /// `leads.create`, inside the batch's transaction.
    create_lead(NewLead) -> Lead = leads::create;
    /// `pipelines.create`, inside the batch's transaction.
    create_pipeline(NewPipeline) -> Pipeline = deals::create_pipeline;
    /// `deals.create`, inside the batch's transaction.
    create_deal(NewDeal) -> Deal = deals::create_deal;
    /// `deals.moveStage`, inside the batch's transaction.
    move_stage(MoveStage) -> Deal = deals::move_stage;
    /// `tickets.create`, inside the batch's transaction.
    create_ticket(NewTicket) -> Ticket = tickets::create;
    /// `tickets.addEvent`, inside the batch's transaction.
    add_ticket_event(NewTicketEvent) -> TicketEvent = tickets::create_event;
    /// `conversations.create`, inside the batch's transaction.
    create_conversation(NewConversation) -> Conversation = conversations::create;
    /// `messages.create`, inside the batch's transaction.
    create_message(NewMessage) -> Message = conversations::create_message;
    /// `calls.create`, inside the batch's transaction.
    create_call(NewCall) -> Call = calls::create;
    /// `activities.create`, inside the batch's transaction.
    create_activity(NewActivity) -> Activity = activities::create;
    /// `products.create`, inside the batch's transaction.
    create_product(NewProduct) -> Product = products::create;
    /// `quoteTemplates.create`, inside the batch's transaction.
    create_quote_template(NewQuoteTemplate) -> QuoteTemplate = quotes::templates::create;
    /// `quotes.create`, inside the batch's transaction.
    create_quote(NewQuote) -> Quote = quotes::create;
    /// `quotes.send`, inside the batch's transaction.
    send_quote(SendQuote) -> Quote = quotes::lifecycle::send;
}

impl Batch<'_, '_> {
    /// Remembers the first failure, so the batch cannot commit after it.
    fn track<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.failed.get_or_insert_with(|| e.to_string());
        }
        result
    }

    fn admin_only(&self, what: &str) -> Result<()> {
        if self.admin {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{what} needs the admin role")))
        }
    }

    /// Creates a user (admin only).
    pub fn create_user(&mut self, new: NewUser) -> Result<User> {
        let result = self
            .admin_only(methods::USERS_CREATE)
            .and_then(|()| tenancy::create_user(self.tx, new));
        self.track(result)
    }

    /// Creates a team (admin only).
    pub fn create_team(&mut self, new: NewTeam) -> Result<Team> {
        let result = self
            .admin_only(methods::TEAMS_CREATE)
            .and_then(|()| tenancy::create_team(self.tx, new));
        self.track(result)
    }
}

//! The index's schema: its fields, the tokenizer of its text.

use super::TOKENIZER;
use tantivy::schema::FAST;
use tantivy::schema::FacetOptions;
use tantivy::schema::Field;
use tantivy::schema::IndexRecordOption;
use tantivy::schema::STORED;
use tantivy::schema::STRING;
use tantivy::schema::Schema;
use tantivy::schema::TextFieldIndexing;
use tantivy::schema::TextOptions;
use tantivy::tokenizer::AsciiFoldingFilter;
use tantivy::tokenizer::LowerCaser;
use tantivy::tokenizer::RemoveLongFilter;
use tantivy::tokenizer::SimpleTokenizer;
use tantivy::tokenizer::TextAnalyzer;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) key: Field,
    pub(crate) tenant: Field,
    pub(crate) kind: Field,
    pub(crate) id: Field,
    /// Stored for hits and snippets.
    pub(crate) title: Field,
    pub(crate) body: Field,
    /// What queries match: the title twice (so it weighs double) and the body.
    pub(crate) text: Field,
    pub(crate) f_type: Field,
    pub(crate) f_ticket_status: Field,
    pub(crate) f_ticket_priority: Field,
    pub(crate) f_conversation_status: Field,
    pub(crate) f_channel: Field,
    pub(crate) f_team: Field,
    /// Every facet of the document packed in one number (see [`pack`]), for counting.
    pub(crate) codes: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored = TextOptions::default().set_stored();
    // No positions: no query looks at word order.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let facet = FacetOptions::default();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        // A word with frequencies (always 1), so that a query's words and its tenant make one
        // intersection of term postings, which tantivy ranks with block-max pruning.
        tenant: b.add_text_field(
            "tenant",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        title: b.add_text_field("title", stored.clone()),
        body: b.add_text_field("body", stored),
        text: b.add_text_field("text", text),
        f_type: b.add_facet_field("f_type", facet.clone()),
        f_ticket_status: b.add_facet_field("f_ticket_status", facet.clone()),
        f_ticket_priority: b.add_facet_field("f_ticket_priority", facet.clone()),
        f_conversation_status: b.add_facet_field("f_conversation_status", facet.clone()),
        f_channel: b.add_facet_field("f_channel", facet.clone()),
        f_team: b.add_facet_field("f_team", facet),
        codes: b.add_u64_field("codes", FAST),
    };
    (b.build(), fields)
}

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

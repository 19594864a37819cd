//! The words of a query and their other forms: completions of the last word, typos of long ones.

use super::{MAX_WORDS, analyzer};
use std::collections::BTreeMap;
use tantivy::Score;
use tantivy::postings::TermInfo;
use tantivy::query::AllQuery;
use tantivy::query::BooleanQuery;
use tantivy::query::DfaWrapper;
use tantivy::query::Occur;
use tantivy::query::Query;
use tantivy_fst::Automaton;

/// The other forms of a query word, as an automaton over a term dictionary: the words it begins
/// (`prefix`), the words one typo away (`typos`), or both.
pub(crate) struct Forms<'w> {
    pub(crate) prefix: Option<&'w [u8]>,
    pub(crate) typos: Option<DfaWrapper>,
}

impl Automaton for Forms<'_> {
    /// Bytes of the prefix matched so far (`None` once a byte differed), and the typo
    /// automaton's state (0 when there is none).
    type State = (Option<usize>, u32);

    fn start(&self) -> Self::State {
        (
            self.prefix.map(|_| 0),
            self.typos.as_ref().map_or(0, Automaton::start),
        )
    }

    fn is_match(&self, state: &Self::State) -> bool {
        self.prefix.is_some_and(|p| state.0 == Some(p.len()))
            || self.typos.as_ref().is_some_and(|t| t.is_match(&state.1))
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.0.is_some() || self.typos.as_ref().is_some_and(|t| t.can_match(&state.1))
    }

    fn will_always_match(&self, state: &Self::State) -> bool {
        self.prefix.is_some_and(|p| state.0 == Some(p.len()))
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let prefix = match (self.prefix, state.0) {
            (Some(p), Some(i)) if i == p.len() => Some(i),
            (Some(p), Some(i)) if p[i] == byte => Some(i + 1),
            _ => None,
        };
        let typos = self.typos.as_ref().map_or(0, |t| t.accept(&state.1, byte));
        (prefix, typos)
    }
}

/// One word of the query: as typed, the other indexed words it matches (most documents
/// first), and per segment of the searcher the postings of every form it matches.
pub(crate) struct Word {
    pub(crate) typed: String,
    pub(crate) others: Vec<(String, u64)>,
    pub(crate) postings: Vec<Vec<TermInfo>>,
}

/// Records matching every word of some group, each word as `word` says; everything for no
/// words at all.
pub(crate) fn any_group(
    groups: &[Vec<Word>],
    word: impl Fn(&Word) -> Box<dyn Query>,
) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = groups
        .iter()
        .map(|words| {
            let mut all: Vec<(Occur, Box<dyn Query>)> =
                words.iter().map(|w| (Occur::Must, word(w))).collect();
            let group: Box<dyn Query> = if all.len() == 1 {
                all.remove(0).1
            } else {
                Box::new(BooleanQuery::new(all))
            };
            (Occur::Should, group)
        })
        .collect();
    match alternatives.len() {
        0 => Box::new(AllQuery),
        1 => alternatives.remove(0).1,
        _ => Box::new(BooleanQuery::new(alternatives)),
    }
}

/// The words a snippet highlights: those typed, and the other forms that matched (weighed
/// less when the snippet picks its fragment).
pub(crate) fn snippet_words(groups: &[Vec<Word>]) -> BTreeMap<String, Score> {
    let mut words = BTreeMap::new();
    for word in groups.iter().flatten() {
        for (other, _) in &word.others {
            words.entry(other.clone()).or_insert(0.5);
        }
    }
    for word in groups.iter().flatten() {
        words.insert(word.typed.clone(), 1.0);
    }
    words
}

/// The query's words as the index sees them, in groups separated by `OR`; empty groups (a
/// leading, trailing or doubled `OR`) are dropped, and at most [`MAX_WORDS`] words are kept.
pub(crate) fn word_groups(q: &str) -> Vec<Vec<String>> {
    let mut analyzer = analyzer();
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    let mut kept = 0;
    for raw in q.split_whitespace() {
        if raw == "OR" {
            groups.push(Vec::new());
            continue;
        }
        let mut stream = analyzer.token_stream(raw);
        while let Some(token) = stream.next() {
            if kept == MAX_WORDS {
                break;
            }
            kept += 1;
            if let Some(group) = groups.last_mut() {
                group.push(token.text.clone());
            }
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

//! Facet codes: packed per document in one fast field, tallied per match, filtered by bit tests.

use super::*;
use crate::conversations::ConversationStatus;
use crate::tickets::{Channel, Priority, TicketStatus};

// Facet values are the enumerations' own, in their declared order (a value's code is its
// position + 1), so a new value needs no change here.
pub(crate) const TICKET_STATUSES: &[&str] = TicketStatus::NAMES;
pub(crate) const PRIORITIES: &[&str] = Priority::NAMES;
pub(crate) const CONVERSATION_STATUSES: &[&str] = ConversationStatus::NAMES;
pub(crate) const CHANNELS: &[&str] = Channel::NAMES;
/// Bits of each packed code: type, ticket status, priority, conversation status and channel (0
/// is "none", n the nth value), then the team id + 1 in the rest.
pub(crate) const CODE_BITS: u32 = 4;
pub(crate) const SMALL_CODES: usize = 5;

/// Packs a document's facet codes into one fast-field value.
pub(crate) fn pack(codes: &[u64; 6]) -> u64 {
    let mut packed = codes[5] << (CODE_BITS * SMALL_CODES as u32);
    for (i, code) in codes[..SMALL_CODES].iter().enumerate() {
        packed |= code << (CODE_BITS * i as u32);
    }
    packed
}

/// Matches whose codes are read from the column at once.
pub(crate) const CODE_BATCH: usize = 256;
/// Team ids below this are counted in an array, larger ones in a map.
pub(crate) const TEAM_SLOTS: usize = 1024;

/// Counts of matches by packed code (see [`pack`]), kept so that counting a match is two or
/// three increments: by the code's low byte (type, ticket status), by its next twelve bits
/// (priority, conversation status, channel) and by team.
#[derive(Debug)]
pub(crate) struct FacetTally {
    pub(crate) low: Vec<u64>,
    pub(crate) high: Vec<u64>,
    /// By team id + 1 below [`TEAM_SLOTS`], then by team id + 1 in `more_teams`.
    pub(crate) teams: Vec<u64>,
    pub(crate) more_teams: BTreeMap<u64, u64>,
}

impl Default for FacetTally {
    fn default() -> Self {
        FacetTally {
            low: vec![0; 1 << (2 * CODE_BITS)],
            high: vec![0; 1 << (3 * CODE_BITS)],
            teams: vec![0; TEAM_SLOTS],
            more_teams: BTreeMap::new(),
        }
    }
}

impl FacetTally {
    /// Counts one match with the packed code `packed`.
    #[inline]
    pub(crate) fn add_packed(&mut self, packed: u64) {
        let low = (packed & 0xff) as usize;
        let high = ((packed >> (2 * CODE_BITS)) & 0xfff) as usize;
        self.low[low] += 1;
        self.high[high] += 1;
        let team = packed >> (CODE_BITS * SMALL_CODES as u32);
        if team > 0 {
            match self.teams.get_mut(team as usize) {
                Some(n) => *n += 1,
                None => *self.more_teams.entry(team).or_default() += 1,
            }
        }
    }

    pub(crate) fn add(&mut self, other: FacetTally) {
        for (mine, theirs) in [
            (&mut self.low, &other.low),
            (&mut self.high, &other.high),
            (&mut self.teams, &other.teams),
        ] {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        for (team, n) in other.more_teams {
            *self.more_teams.entry(team).or_default() += n;
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.low.iter().sum()
    }

    /// Matches per code of each small facet: `small[facet][code]`.
    pub(crate) fn small(&self) -> [[u64; 16]; SMALL_CODES] {
        let mut small = [[0u64; 16]; SMALL_CODES];
        let mask = (1usize << CODE_BITS) - 1;
        for (code, n) in self.low.iter().enumerate() {
            small[0][code & mask] += n;
            small[1][(code >> CODE_BITS) & mask] += n;
        }
        for (code, n) in self.high.iter().enumerate() {
            for facet in 0..3 {
                small[2 + facet][(code >> (CODE_BITS * facet as u32)) & mask] += n;
            }
        }
        small
    }

    pub(crate) fn facets(&self) -> Facets {
        let small = self.small();
        let names = |facet: usize, values: &[&str]| -> BTreeMap<String, u64> {
            values
                .iter()
                .enumerate()
                .filter(|(i, _)| small[facet][i + 1] > 0)
                .map(|(i, v)| ((*v).to_owned(), small[facet][i + 1]))
                .collect()
        };
        let types: Vec<&str> = SearchType::ALL.iter().map(|t| t.as_str()).collect();
        let teams = self
            .teams
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(team, n)| (team as u64, *n))
            .chain(self.more_teams.iter().map(|(team, n)| (*team, *n)));
        Facets {
            types: names(0, &types),
            ticket_status: names(1, TICKET_STATUSES),
            ticket_priority: names(2, PRIORITIES),
            conversation_status: names(3, CONVERSATION_STATUSES),
            channels: names(4, CHANNELS),
            team_id: teams.map(|(team, n)| ((team - 1).to_string(), n)).collect(),
        }
    }
}

/// The request's types and filters as a test of a packed code (see [`pack`]): the meaning of
/// the facet terms [`Snapshot::filtered`] adds to ranked queries.
pub(crate) struct CodeFilter {
    /// Per small facet, the codes let through (bit n for code n); all where unfiltered.
    pub(crate) allowed: [u16; SMALL_CODES],
    /// The team id + 1, when filtered.
    pub(crate) team: Option<u64>,
}

impl CodeFilter {
    pub(crate) fn new(query: &SearchQuery) -> Self {
        // A value is always in its list; were it not, it would match nothing (no record has
        // code 15) rather than everything without the facet.
        let bit = |values: &[&str], value: &str| -> u16 {
            1 << values
                .iter()
                .position(|v| *v == value)
                .map_or(15, |i| i + 1)
        };
        let mut allowed = [u16::MAX; SMALL_CODES];
        if let Some(types) = &query.types {
            let all: Vec<&str> = SearchType::ALL.iter().map(|t| t.as_str()).collect();
            allowed[0] = types.iter().fold(0, |m, t| m | bit(&all, t.as_str()));
        }
        let filters = &query.filters;
        if let Some(s) = &filters.ticket_status {
            allowed[1] = s
                .iter()
                .fold(0, |m, s| m | bit(TICKET_STATUSES, s.as_str()));
        }
        if let Some(p) = &filters.ticket_priority {
            allowed[2] = p.iter().fold(0, |m, p| m | bit(PRIORITIES, p.as_str()));
        }
        if let Some(s) = &filters.conversation_status {
            allowed[3] = s
                .iter()
                .fold(0, |m, s| m | bit(CONVERSATION_STATUSES, s.as_str()));
        }
        if let Some(channels) = &filters.channels {
            allowed[4] = channels
                .iter()
                .fold(0, |m, c| m | bit(CHANNELS, c.as_str()));
        }
        CodeFilter {
            allowed,
            team: filters.team_id.map(|t| t.unsigned_abs() + 1),
        }
    }

    /// Whether it lets every record through.
    pub(crate) fn is_none(&self) -> bool {
        self.allowed.iter().all(|a| *a == u16::MAX) && self.team.is_none()
    }

    pub(crate) fn accepts(&self, packed: u64) -> bool {
        let mask = (1u64 << CODE_BITS) - 1;
        self.allowed.iter().enumerate().all(|(facet, allowed)| {
            allowed & (1 << ((packed >> (CODE_BITS * facet as u32)) & mask)) != 0
        }) && self
            .team
            .is_none_or(|t| packed >> (CODE_BITS * SMALL_CODES as u32) == t)
    }
}

/// A set of the documents of one segment, 64 to a word.
pub(crate) struct Bitmap {
    pub(crate) words: Vec<u64>,
}

impl Bitmap {
    pub(crate) fn empty(docs: u32) -> Self {
        Bitmap {
            words: vec![0; (docs as usize).div_ceil(64)],
        }
    }

    pub(crate) fn full(docs: u32) -> Self {
        let mut all = Bitmap {
            words: vec![u64::MAX; (docs as usize).div_ceil(64)],
        };
        if let Some(last) = all.words.last_mut()
            && !docs.is_multiple_of(64)
        {
            *last = (1u64 << (docs % 64)) - 1;
        }
        all
    }

    /// Adds the documents of a posting list.
    pub(crate) fn add_postings(
        &mut self,
        index: &InvertedIndexReader,
        info: &TermInfo,
    ) -> Result<()> {
        let mut postings = index
            .read_block_postings_from_terminfo(info, IndexRecordOption::Basic)
            .map_err(io_error)?;
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                return Ok(());
            }
            for &doc in docs {
                if let Some(word) = self.words.get_mut((doc / 64) as usize) {
                    *word |= 1 << (doc % 64);
                }
            }
            postings.advance();
        }
    }

    pub(crate) fn intersect(&mut self, other: &Bitmap) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine &= theirs;
        }
    }

    pub(crate) fn unite(&mut self, other: &Bitmap) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
    }
}

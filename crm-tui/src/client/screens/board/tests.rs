use crate::client::screens::QueryChange;
use crate::client::testing::*;
use crate::client::worker::Tab;
use crm_core::deals::{Deal, DealFilter, MoveStage, Pipeline};
use crm_core::ids::{DealId, StageId};
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

/// A demo client on the Deals board, its clock in October 2026 (the demo's data ends on
/// 1 November), so days in stage read the same every run.
fn on_board(customers: usize) -> Harness {
    let mut h = Harness::new(demo_crm(customers));
    h.app.now = "2026-10-20T12:00:00Z".parse().unwrap();
    h.keys(&[KeyCode::Char('3'), KeyCode::Char('b')]);
    assert!(h.app.lists.board_shown().is_some());
    h
}

fn pipelines(h: &Harness) -> Vec<Pipeline> {
    let mut all = h
        .crm
        .scope("demo", None)
        .unwrap()
        .pipelines()
        .list(crm_core::ListRequest::default())
        .unwrap()
        .items;
    all.reverse();
    all
}

/// Every deal of a stage that `keep` holds for, read through the deals list (not the board).
fn deals_in(h: &Harness, stage: StageId, keep: impl Fn(&Deal) -> bool) -> Vec<Deal> {
    let scope = h.crm.scope("demo", None).unwrap();
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .deals()
            .list(&DealFilter {
                stage_id: Some(stage),
                limit: Some(500),
                cursor,
                ..DealFilter::default()
            })
            .unwrap();
        out.extend(page.items.into_iter().filter(|d| keep(d)));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return out;
        }
    }
}

fn deal(h: &Harness, id: DealId) -> Deal {
    h.crm.scope("demo", None).unwrap().deals().get(id).unwrap()
}

/// Changes what the Deals tab shows, as the filter builder or the pipeline menu would.
fn change(h: &mut Harness, change: QueryChange) {
    let mut out = Vec::new();
    h.app.lists.change(Tab::Deals, change, &mut out);
    let asks = out
        .into_iter()
        .filter_map(|c| match c {
            crate::client::screens::Command::Ask(r) => Some(r),
            _ => None,
        })
        .collect();
    h.answer(asks);
}

fn board(h: &Harness) -> &crate::client::screens::board::BoardState {
    h.app.lists.board.as_ref().unwrap()
}

/// Each column's header shows the count of the deals the list holds in its stage.
fn headers_match_the_deals(h: &Harness, keep: impl Fn(&Deal) -> bool + Copy) {
    let screen = h.screen_sized(200, 30);
    for column in &board(h).columns {
        let n = deals_in(h, column.stage, keep).len() as u64;
        assert_eq!(column.count, n, "{}", column.name);
        assert!(
            screen.contains(&format!(" · {} ", crate::client::format::thousands(n))),
            "{}: {n} not shown\n{screen}",
            column.name
        );
    }
}

#[test]
fn a_manager_moves_cards_through_the_pipeline_with_keys() {
    let mut h = on_board(200);
    let p = &pipelines(&h)[0];
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Deals · board · {}", p.name)),
        "{screen}"
    );
    headers_match_the_deals(&h, |_| true);
    // The first card one stage on: shown there, and so in the engine.
    let first = board(&h).selected_deal().unwrap().clone();
    assert_eq!(first.stage_id, board(&h).columns[0].stage);
    h.key(KeyCode::Char('L'));
    assert_eq!(deal(&h, first.id).stage_id, board(&h).columns[1].stage);
    assert_eq!(board(&h).focus, 1);
    assert_eq!(board(&h).selected_deal().unwrap().id, first.id);
    headers_match_the_deals(&h, |_| true);
    // And back with `<`.
    h.key(KeyCode::Char('<'));
    assert_eq!(deal(&h, first.id).stage_id, board(&h).columns[0].stage);
    // Into the won stage: asked first; `n` leaves it, `y` closes the deal as won.
    let won = board(&h)
        .columns
        .iter()
        .position(|c| c.kind == crm_core::deals::StageKind::Won)
        .unwrap();
    // To the last open column, with a card in it (one brought from the column before).
    for _ in 0..won - 1 {
        h.key(KeyCode::Char('l'));
    }
    if board(&h).column().unwrap().cards.is_empty() {
        h.keys(&[KeyCode::Char('h'), KeyCode::Char('L')]);
    }
    assert_eq!(board(&h).focus, won - 1);
    let card = board(&h).selected_deal().unwrap().clone();
    h.key(KeyCode::Char('L'));
    assert!(
        h.screen().contains("It closes the deal as won. y/n"),
        "{}",
        h.screen()
    );
    assert_eq!(h.app.keymap().title, "Keys while a move is asked");
    h.key(KeyCode::Char('n'));
    assert_eq!(deal(&h, card.id).status, crm_core::deals::DealStatus::Open);
    assert!(h.screen().contains("not moved"));
    h.keys(&[KeyCode::Char('L'), KeyCode::Char('y')]);
    let closed = deal(&h, card.id);
    assert_eq!(closed.status, crm_core::deals::DealStatus::Won);
    assert_eq!(closed.stage_id, board(&h).columns[won].stage);
    headers_match_the_deals(&h, |_| true);
    // The quotes and the timeline of the selected card are a key away.
    h.key(KeyCode::Char('Q'));
    assert!(h.screen().contains(&closed.title[..10]), "{}", h.screen());
}

#[test]
fn a_move_the_engine_refuses_is_put_back_with_the_reason() {
    let mut h = on_board(120);
    let card = board(&h).selected_deal().unwrap().clone();
    let next = board(&h).columns[1].stage;
    // Someone else moves it first: the client's move finds it there already.
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .deals()
        .move_stage(MoveStage {
            deal_id: card.id,
            stage_id: next,
            at: None,
        })
        .unwrap();
    h.key(KeyCode::Char('L'));
    let screen = h.screen();
    assert!(screen.contains("not moved"), "{screen}");
    assert!(screen.contains("already in stage"), "{screen}");
    // The board shows where the engine has it, with exact counts.
    assert_eq!(deal(&h, card.id).stage_id, next);
    headers_match_the_deals(&h, |_| true);
}

#[test]
fn the_board_follows_the_deals_filter_and_its_pipeline() {
    let mut h = on_board(200);
    let criteria = json!({"field": "value", "op": "gte", "value": 4_000_000});
    change(&mut h, QueryChange::Where(Some(criteria)));
    assert!(h.screen().contains("· filtered"), "{}", h.screen());
    headers_match_the_deals(&h, |d| d.value >= 4_000_000);
    // `p` picks another pipeline; the filter stays.
    let second = pipelines(&h)[1].clone();
    h.keys(&[KeyCode::Char('p'), KeyCode::Down, KeyCode::Enter]);
    assert_eq!(board(&h).pipeline, Some(second.id));
    assert!(
        h.screen()
            .contains(&format!("Deals · board · {}", second.name)),
        "{}",
        h.screen()
    );
    headers_match_the_deals(&h, |d| d.value >= 4_000_000);
    // Back to the list and to the board again: the same pipeline.
    h.keys(&[KeyCode::Char('b'), KeyCode::Char('1'), KeyCode::Char('3')]);
    assert!(h.app.lists.board_shown().is_none());
    h.key(KeyCode::Char('b'));
    assert_eq!(board(&h).pipeline, Some(second.id));
    // Reopened, it still names its pipeline and `p` still offers the others.
    assert!(
        h.screen()
            .contains(&format!("Deals · board · {}", second.name)),
        "{}",
        h.screen()
    );
    assert_eq!(board(&h).pipelines.len(), pipelines(&h).len());
}

#[test]
fn a_long_column_loads_its_next_cards_as_the_selection_nears_the_end() {
    let mut h = on_board(1_500);
    let longest = (0..board(&h).columns.len())
        .max_by_key(|i| board(&h).columns[*i].count)
        .unwrap();
    for _ in 0..longest {
        h.key(KeyCode::Char('l'));
    }
    let column = board(&h).columns[longest].clone();
    assert!(column.count > 60, "{}", column.count);
    assert_eq!(column.cards.len(), super::PER_COLUMN as usize);
    for _ in 0..50 {
        h.key(KeyCode::Char('j'));
    }
    let held = &board(&h).columns[longest];
    assert_eq!(held.selected, 50);
    // Pages came in order, nothing twice: the column as the deals list orders it.
    let ids: Vec<DealId> = held
        .cards
        .iter()
        .map(|c| match &c.record {
            crate::client::worker::Record::Deal(d) => d.id,
            _ => unreachable!(),
        })
        .collect();
    let mut listed = deals_in(&h, column.stage, |_| true);
    listed.sort_by_key(|d| std::cmp::Reverse((d.updated_at, d.id)));
    let expected: Vec<DealId> = listed.iter().take(ids.len()).map(|d| d.id).collect();
    assert_eq!(ids, expected);
    assert!(ids.len() >= 60);
    assert_screens!(h);
}

/// A new deal in the `n`th column of the first pipeline, on top of it (the newest change).
fn fresh_deal(h: &Harness, n: usize) {
    let scope = h.crm.scope("demo", h.actor).unwrap();
    let p = &pipelines(h)[0];
    scope
        .deals()
        .create(
            serde_json::from_value(json!({"pipelineId": p.id, "stageId": p.stages[n].id,
                "title": "Fresh", "value": 100, "currency": "USD"}))
            .unwrap(),
        )
        .unwrap();
}

/// The column a board puts a pipeline's `kind` stage in.
fn column_of(h: &Harness, kind: crm_core::deals::StageKind) -> usize {
    board(h)
        .columns
        .iter()
        .position(|c| c.kind == kind)
        .unwrap()
}

mod snapshots {
    use super::*;

    #[test]
    fn a_pipeline() {
        assert_screens!(on_board(200));
    }

    #[test]
    fn board_narrow() {
        let mut h = on_board(200);
        h.keys(&[KeyCode::Char('l'), KeyCode::Char('l'), KeyCode::Char('l')]);
        insta::assert_snapshot!(h.screen_sized(80, 24));
    }

    #[test]
    fn board_of_an_empty_pipeline() {
        let mut h = on_board(60);
        let empty = h
            .crm
            .scope("demo", h.actor)
            .unwrap()
            .pipelines()
            .create(
                serde_json::from_value(json!({"name": "Partners", "stages": [
                    {"name": "Talking", "probability": 20, "kind": "open"},
                    {"name": "Signed", "probability": 100, "kind": "won"}]}))
                .unwrap(),
            )
            .unwrap();
        change(&mut h, QueryChange::Pipeline(empty.id));
        assert_screens!(h);
    }

    #[test]
    fn a_pipeline_of_one_stage() {
        let mut h = on_board(60);
        let scope = h.crm.scope("demo", h.actor).unwrap();
        let single = scope
            .pipelines()
            .create(
                serde_json::from_value(json!({"name": "Inbox", "stages": [
                    {"name": "To sort", "probability": 5, "kind": "open"}]}))
                .unwrap(),
            )
            .unwrap();
        for (title, value, currency) in [("Kiosk", 120_000, "EUR"), ("Tablets", 99_950, "USD")] {
            scope
                .deals()
                .create(
                    serde_json::from_value(json!({"pipelineId": single.id, "title": title,
                        "value": value, "currency": currency}))
                    .unwrap(),
                )
                .unwrap();
        }
        change(&mut h, QueryChange::Pipeline(single.id));
        let screen = h.screen();
        assert!(screen.contains("To sort · 2"), "{screen}");
        // Two currencies, never added together: a line each.
        assert!(screen.contains("EUR 1,200.00"), "{screen}");
        assert!(screen.contains("USD 999.50"), "{screen}");
        let days = format!(
            "{}d in stage",
            (h.app.now - crm_core::time::now()).num_days().max(0)
        );
        assert_screens!(h, |s: String| s.replace(&days, "Nd in stage"));
    }

    #[test]
    fn asking_before_a_deal_is_won() {
        let mut h = on_board(200);
        let open = column_of(&h, crm_core::deals::StageKind::Won) - 1;
        fresh_deal(&h, open);
        h.keys(&[KeyCode::Char('p'), KeyCode::Enter]);
        for _ in 0..open {
            h.key(KeyCode::Char('l'));
        }
        h.key(KeyCode::Char('L'));
        assert_screens!(h);
    }
}

mod bindings {
    use super::*;

    #[test]
    fn every_listed_key_of_the_board_acts_and_no_other() {
        // In the second column, on the second of its cards, so every move has somewhere to go
        // (the check runs many clients on one database: each brings its own cards).
        let setup = |h: &mut Harness| {
            for _ in 0..3 {
                fresh_deal(h, 1);
            }
            h.keys(&[
                KeyCode::Char('3'),
                KeyCode::Char('b'),
                KeyCode::Char('l'),
                KeyCode::Char('j'),
            ]);
        };
        check_bindings(&Arc::new(demo_crm(200)), setup, &[]);
    }

    #[test]
    fn every_listed_key_of_the_question_acts_and_no_other() {
        let setup = |h: &mut Harness| {
            h.keys(&[KeyCode::Char('3'), KeyCode::Char('b')]);
            let open = column_of(h, crm_core::deals::StageKind::Won) - 1;
            fresh_deal(h, open);
            h.keys(&[KeyCode::Char('p'), KeyCode::Enter]);
            for _ in 0..open {
                h.key(KeyCode::Char('l'));
            }
            h.key(KeyCode::Char('L'));
        };
        check_bindings(&Arc::new(demo_crm(200)), setup, &[]);
    }
}

//! Builds the board's target: one pipeline of 100,000 deals (the board bench's data). Open it
//! in the client and measure its memory with the board open:
//!
//! ```sh
//! cargo run --release -p crm-benches --example board_world -- /tmp/board.db [DEALS]
//! target/release/crm --db /tmp/board.db    # 3, then b
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: board_world DB [DEALS]");
    let deals: usize = args.next().map_or(100_000, |s| s.parse().unwrap());
    let started = std::time::Instant::now();
    let world = crm_benches::board_world(std::path::Path::new(&path), deals);
    drop(world);
    eprintln!("{deals} deals in {path} in {:.1?}", started.elapsed());
}

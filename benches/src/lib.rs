//! Benchmarks live in `benches/`; this crate only holds them.

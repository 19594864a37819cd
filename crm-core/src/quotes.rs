//! Quotes (API.md "Products and quotes"). So far their arithmetic: [`totals`] computes a quote's
//! lines and totals exactly, as the contract rounds them.

pub mod totals;

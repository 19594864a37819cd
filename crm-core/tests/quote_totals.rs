//! Quote totals against an independent oracle: Python's `decimal`, at 100 digits, rounding
//! half up (every amount is positive, so half up is half away from zero), on random quotes —
//! quantities from 0.001 to 1,000,000, prices up to ten million in minor units, 0% and 100%
//! discounts, rates shared between lines, 1,000-line quotes — in both tax roundings.

use crm_core::quotes::totals::{LineInput, Quantity, TaxRounding, compute};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const ORACLE: &str = r#"
import json, sys
from decimal import Decimal, getcontext, ROUND_HALF_UP
getcontext().prec = 100
W = Decimal(10000)
def r(x):
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))
out = []
for q in json.load(sys.stdin):
    keep = 1 - Decimal(q["discountBp"]) / W
    lines, rates = [], {}
    subtotal = nets = 0
    for l in q["lines"]:
        price = Decimal(l["quantity"]) * Decimal(l["unitPrice"])
        gross = r(price)
        exact = price * (1 - Decimal(l["discountBp"]) / W) * keep
        net = r(exact)
        tax = r(Decimal(net) * Decimal(l["taxRateBp"]) / W)
        lines.append({"gross": gross, "net": net, "tax": tax})
        subtotal += gross
        nets += net
        base, taxes, unrounded = rates.get(l["taxRateBp"], (0, 0, Decimal(0)))
        rates[l["taxRateBp"]] = (base + net, taxes + tax, unrounded + exact)
    tax = []
    for rate in sorted(rates):
        base, taxes, unrounded = rates[rate]
        amount = taxes if q["rounding"] == "perLine" else r(unrounded * Decimal(rate) / W)
        tax.append({"rateBp": rate, "base": base, "amount": amount})
    total = nets + sum(t["amount"] for t in tax)
    out.append({"lines": lines, "totals": {"subtotal": subtotal, "discount": subtotal - nets, "tax": tax, "total": total}})
json.dump(out, sys.stdout)
"#;

fn python() -> Command {
    let mut c = Command::new(if cfg!(windows) { "python" } else { "python3" });
    c.arg("-c").arg(ORACLE);
    c
}

fn random_quote(rng: &mut ChaCha8Rng, lines: usize) -> Value {
    let quantity = |rng: &mut ChaCha8Rng| -> String {
        match rng.random_range(0..6) {
            0 => "0.001".into(),
            1 => "1000000".into(),
            2 => format!("{}", rng.random_range(1..100)),
            _ => {
                let thousandths: i64 = rng.random_range(1..1_000_000_000);
                format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
            }
        }
    };
    let bp = |rng: &mut ChaCha8Rng| -> i64 {
        [
            0,
            0,
            10_000,
            400,
            2_200,
            1_250,
            rng.random_range(0..=10_000),
        ][rng.random_range(0..7)]
    };
    let lines: Vec<Value> = (0..lines)
        .map(|_| {
            json!({
                "quantity": quantity(rng),
                "unitPrice": ([0, 1, 5, 34_835, rng.random_range(0..10_000_000_i64)][rng.random_range(0..5)]),
                "discountBp": bp(rng),
                "taxRateBp": ([0, 700, 2_200, 2_000, rng.random_range(0..=10_000)][rng.random_range(0..5)]),
            })
        })
        .collect();
    json!({
        "lines": lines,
        "discountBp": bp(rng),
        "rounding": (["perLine", "global"][rng.random_range(0..2)]),
    })
}

fn ours(quote: &Value) -> Value {
    let lines: Vec<LineInput> = quote["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| LineInput {
            quantity: Quantity::parse("quantity", l["quantity"].as_str().unwrap()).unwrap(),
            unit_price: l["unitPrice"].as_i64().unwrap(),
            discount_bp: l["discountBp"].as_i64().unwrap(),
            tax_rate_bp: l["taxRateBp"].as_i64().unwrap(),
        })
        .collect();
    let rounding = if quote["rounding"] == "global" {
        TaxRounding::Global
    } else {
        TaxRounding::PerLine
    };
    let (amounts, totals) =
        compute(&lines, quote["discountBp"].as_i64().unwrap(), rounding).unwrap();
    json!({"lines": amounts, "totals": totals})
}

#[test]
fn totals_agree_with_pythons_decimal() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x0071_07e5);
    let mut quotes: Vec<Value> = (0..1_500)
        .map(|i| {
            let n = if i % 500 == 0 {
                1_000
            } else {
                rng.random_range(1..12)
            };
            random_quote(&mut rng, n)
        })
        .collect();
    // The contract's worked case, both ways.
    for rounding in ["perLine", "global"] {
        quotes.push(json!({"lines": [{"quantity": "16", "unitPrice": 34_835, "discountBp": 400, "taxRateBp": 2_200}],
                           "discountBp": 0, "rounding": rounding}));
    }
    let mut child = python()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the oracle (the README's test command needs Python 3)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&quotes).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(expected.len(), quotes.len());
    for (quote, want) in quotes.iter().zip(&expected) {
        assert_eq!(&ours(quote), want, "{quote}");
    }
    let n = quotes.len();
    assert_eq!(expected[n - 2]["totals"]["total"], 652_781);
    assert_eq!(expected[n - 1]["totals"]["total"], 652_780);
}

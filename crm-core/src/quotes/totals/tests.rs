use super::*;

fn line(quantity: &str, unit_price: i64, discount_bp: i64, tax_rate_bp: i64) -> LineInput {
    LineInput {
        quantity: Quantity::parse("quantity", quantity).unwrap(),
        unit_price,
        discount_bp,
        tax_rate_bp,
    }
}

#[test]
fn the_worked_case_rounds_per_line_and_globally_as_the_contract_says() {
    let lines = [line("16", 34_835, 400, 2_200)];
    let (amounts, per_line) = compute(&lines, 0, TaxRounding::PerLine).unwrap();
    assert_eq!(
        amounts[0],
        LineAmounts {
            gross: 557_360,
            net: 535_066,
            tax: 117_715
        }
    );
    assert_eq!(per_line.total, 652_781);
    assert_eq!(per_line.discount, 22_294);
    let (_, global) = compute(&lines, 0, TaxRounding::Global).unwrap();
    assert_eq!(global.tax[0].amount, 117_714);
    assert_eq!(global.total, 652_780);
    // The discount given on the quote instead of the line: the same nets.
    let (_, on_quote) =
        compute(&[line("16", 34_835, 0, 2_200)], 400, TaxRounding::PerLine).unwrap();
    assert_eq!(on_quote.total, 652_781);
}

#[test]
fn a_whole_discount_leaves_exactly_nothing() {
    let lines = [line("3.5", 99_999, 10_000, 2_200), line("1", 5, 0, 700)];
    let (amounts, totals) = compute(&lines, 10_000, TaxRounding::Global).unwrap();
    assert!(amounts.iter().all(|a| a.net == 0 && a.tax == 0));
    assert_eq!(totals.total, 0);
    assert_eq!(totals.discount, totals.subtotal);
    // 3.5 × 999.99 = 3,499.965 → 3,499.97, and 0.05.
    assert_eq!(totals.subtotal, 350_002);
}

#[test]
fn quantities_read_and_write_exactly() {
    for (text, thousandths, shown) in [
        ("0.001", 1, "0.001"),
        ("1000000", 1_000_000_000, "1000000"),
        ("2.50", 2_500, "2.5"),
        ("1000000000", 1_000_000_000_000, "1000000000"),
    ] {
        let q = Quantity::parse("quantity", text).unwrap();
        assert_eq!(q.thousandths(), thousandths);
        assert_eq!(q.to_string(), shown);
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(
            serde_json::from_str::<Quantity>(&json).unwrap(),
            q,
            "{json}"
        );
    }
    for bad in [
        "0",
        "0.000",
        "0.0001",
        "-1",
        "1e3",
        "",
        ".5",
        "5.",
        "1,000",
        "1000000000.001",
        "99999999999999999999",
    ] {
        assert!(Quantity::parse("quantity", bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        serde_json::from_str::<Quantity>("0.1")
            .unwrap()
            .thousandths(),
        100
    );
    assert!(serde_json::from_str::<Quantity>("0.0005").is_err());
}

#[test]
fn amounts_too_large_are_refused_on_the_line_never_wrapped() {
    let huge = [line("1000000000", i64::MAX, 0, 0)];
    let err = compute(&huge, 0, TaxRounding::PerLine).unwrap_err();
    assert_eq!(err.field(), Some("lines[0]"));
    let many = vec![line("1", i64::MAX / 2, 0, 0); 3];
    let err = compute(&many, 0, TaxRounding::PerLine).unwrap_err();
    assert_eq!(err.field(), Some("lines"));
    let err = compute(&[line("1", 1, 10_001, 0)], 0, TaxRounding::PerLine).unwrap_err();
    assert_eq!(err.field(), Some("lines[0].discountBp"));
    let err = compute(&[line("1", -1, 0, 0)], 0, TaxRounding::PerLine).unwrap_err();
    assert_eq!(err.field(), Some("lines[0].unitPrice"));
    let err = compute(&[], -1, TaxRounding::PerLine).unwrap_err();
    assert_eq!(err.field(), Some("discountBp"));
}

#[test]
fn rates_are_kept_apart_with_their_bases() {
    let lines = [
        line("1", 1_000, 0, 2_200),
        line("2", 1_000, 0, 700),
        line("1", 1_001, 0, 2_200),
    ];
    let (_, totals) = compute(&lines, 0, TaxRounding::PerLine).unwrap();
    assert_eq!(
        totals.tax,
        vec![
            TaxAmount {
                rate_bp: 700,
                base: 2_000,
                amount: 140
            },
            TaxAmount {
                rate_bp: 2_200,
                base: 2_001,
                amount: 440
            },
        ]
    );
    assert_eq!(totals.total, 4_001 + 580);
}

//! The printed form of `cargo xtask bench-bpf`: one table per policy, peers as
//! columns, and seccompy's value over the best peer's; and the line that checks
//! issue 3's targets on docker-default.

use std::fmt::Write as _;

use super::metrics::PathStats;

/// What is measured of one peer's program on one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Program length in instructions.
    pub len: usize,
    /// Instructions executed over x86_64 numbers 0..1023, zero arguments.
    pub path: PathStats,
    /// Syscalls of the x86_64 and i386 tables the kernel's cache would skip.
    pub cached: usize,
    /// Syscalls of those tables the program allows whatever the arguments.
    pub always_allowed: usize,
    /// Median compile time in nanoseconds.
    pub median_ns: f64,
    /// Calls decided differently from the reference, and how many of those are in
    /// the table gap; `None` for the reference itself.
    pub mismatches: Option<(usize, usize)>,
}

/// A column's heading.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    /// The peer's name; a column named `seccompy` first gets a ratio column.
    pub name: &'a str,
    /// Whether the peer expresses the whole policy (only those compete for "best").
    pub full: bool,
}

/// issue 3's targets for seccompy on docker-default.
pub mod targets {
    /// Program length, at most.
    pub const LEN: usize = 360;
    /// Most instructions executed, at most.
    pub const MAX_PATH: usize = 12;
    /// Mean instructions executed, at most.
    pub const MEAN_PATH: f64 = 11.0;
    /// Compile time in nanoseconds, below.
    pub const COMPILE_NS: f64 = 500_000.0;
}

/// A duration in ms or µs.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

struct Row {
    label: &'static str,
    cells: Vec<String>,
    /// The values the ratio is taken of, and whether higher is better.
    values: Option<(Vec<f64>, bool)>,
}

fn rows(m: &[Measured]) -> Vec<Row> {
    let cells = |f: &dyn Fn(&Measured) -> String| m.iter().map(f).collect();
    let values = |f: &dyn Fn(&Measured) -> f64| m.iter().map(f).collect();
    vec![
        Row {
            label: "length (instructions)",
            cells: cells(&|x| x.len.to_string()),
            values: Some((values(&|x| x.len as f64), false)),
        },
        Row {
            label: "max path, x86_64 nr 0..1023",
            cells: cells(&|x| x.path.max.to_string()),
            values: Some((values(&|x| x.path.max as f64), false)),
        },
        Row {
            label: "mean path, x86_64 nr 0..1023",
            cells: cells(&|x| format!("{:.1}", x.path.mean)),
            values: Some((values(&|x| x.path.mean), false)),
        },
        Row {
            label: "cached / always allowed",
            cells: cells(&|x| format!("{}/{}", x.cached, x.always_allowed)),
            values: Some((values(&|x| x.cached as f64), true)),
        },
        Row {
            label: "compile time (median)",
            cells: cells(&|x| fmt_ns(x.median_ns)),
            values: Some((values(&|x| x.median_ns), false)),
        },
        Row {
            label: "decision mismatches",
            cells: cells(&|x| match x.mismatches {
                None => "(reference)".into(),
                Some((n, 0)) => n.to_string(),
                Some((n, gap)) => format!("{} (+{gap} gap)", n - gap),
            }),
            values: None,
        },
    ]
}

/// seccompy's value (column 0) over the best full peer's, if there is one.
fn ratio(heads: &[Head], values: &[f64], higher_better: bool) -> Option<f64> {
    let best = heads
        .iter()
        .zip(values)
        .skip(1)
        .filter(|(h, _)| h.full)
        .map(|(_, &v)| v)
        .reduce(|a, b| if higher_better { a.max(b) } else { a.min(b) })?;
    (best > 0.0).then(|| values[0] / best)
}

/// The table for one policy.
pub fn table(heads: &[Head], m: &[Measured]) -> String {
    let rows = rows(m);
    let has_seccompy = heads.first().is_some_and(|h| h.name == "seccompy");
    let label_w = rows.iter().map(|r| r.label.len()).max().unwrap_or(0) + 2;
    let col_w: Vec<usize> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r.cells[i].chars().count())
                .chain([h.name.len()])
                .max()
                .unwrap_or(0)
                + 2
        })
        .collect();
    let mut out = String::new();
    write!(out, "  {:label_w$}", "").unwrap();
    for (h, w) in heads.iter().zip(&col_w) {
        write!(out, "{:>w$}", h.name).unwrap();
    }
    if has_seccompy {
        write!(out, "{:>16}", "seccompy/best").unwrap();
    }
    out.push('\n');
    for r in &rows {
        write!(out, "  {:label_w$}", r.label).unwrap();
        for (c, w) in r.cells.iter().zip(&col_w) {
            write!(out, "{c:>w$}").unwrap();
        }
        let q = r
            .values
            .as_ref()
            .filter(|_| has_seccompy)
            .and_then(|(v, higher)| ratio(heads, v, *higher));
        match q {
            Some(q) => writeln!(out, "{:>16}", format!("{q:.2}")).unwrap(),
            None => out.push('\n'),
        }
    }
    out
}

/// Whether seccompy's docker-default measurements meet issue 3's targets, as one
/// line.
pub fn targets_line(s: &Measured) -> String {
    let mark = |ok: bool| if ok { "met" } else { "NOT met" };
    let (mism, gap) = s.mismatches.unwrap_or((0, 0));
    format!(
        "  targets (issue 3): length {} <= {} {}; max path {} <= {} {}; mean path {:.1} <= {} {}; \
         compile {} < 0.5 ms {}; all always-allowed syscalls cached ({}/{}) {}; \
         0 decision mismatches beyond the table gap ({}) {}\n",
        s.len,
        targets::LEN,
        mark(s.len <= targets::LEN),
        s.path.max,
        targets::MAX_PATH,
        mark(s.path.max <= targets::MAX_PATH),
        s.path.mean,
        targets::MEAN_PATH,
        mark(s.path.mean <= targets::MEAN_PATH),
        fmt_ns(s.median_ns),
        mark(s.median_ns < targets::COMPILE_NS),
        s.cached,
        s.always_allowed,
        mark(s.cached == s.always_allowed),
        mism - gap,
        mark(mism == gap),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(len: usize, max: usize, mean: f64, cached: usize, ns: f64) -> Measured {
        Measured {
            len,
            path: PathStats { max, mean },
            cached,
            always_allowed: 100,
            median_ns: ns,
            mismatches: Some((0, 0)),
        }
    }

    #[test]
    fn durations_read_in_the_right_unit() {
        assert_eq!(fmt_ns(14_123_456.0), "14.12 ms");
        assert_eq!(fmt_ns(212_345.0), "212.3 µs");
    }

    #[test]
    fn ratio_is_over_the_best_full_peer() {
        let heads = [
            Head {
                name: "seccompy",
                full: true,
            },
            Head {
                name: "a",
                full: true,
            },
            Head {
                name: "b",
                full: true,
            },
            Head {
                name: "partial",
                full: false,
            },
        ];
        // Lower is better: best full peer is 200, the partial 10 does not count.
        assert_eq!(
            ratio(&heads, &[100.0, 400.0, 200.0, 10.0], false),
            Some(0.5)
        );
        // Higher is better: best full peer is 400.
        assert_eq!(
            ratio(&heads, &[100.0, 400.0, 200.0, 900.0], true),
            Some(0.25)
        );
        assert_eq!(ratio(&heads[..1], &[1.0], false), None);
        assert_eq!(ratio(&heads, &[1.0, 0.0, 0.0, 0.0], false), None);
    }

    #[test]
    fn table_has_a_line_per_metric_and_the_ratios() {
        let heads = [
            Head {
                name: "seccompy",
                full: true,
            },
            Head {
                name: "libseccomp-linear",
                full: true,
            },
        ];
        let mut reference = m(1000, 600, 470.0, 90, 12e6);
        reference.mismatches = None;
        let mut ours = m(250, 12, 9.5, 100, 3e5);
        ours.mismatches = Some((46, 6));
        let t = table(&heads, &[ours, reference]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 7);
        assert!(lines[0].ends_with("seccompy/best"));
        assert!(
            lines[1].contains("250") && lines[1].contains("1000") && lines[1].ends_with("0.25")
        );
        assert!(lines[4].contains("100/100") && lines[4].ends_with("1.11"));
        assert!(lines[5].contains("300.0 µs") && lines[5].contains("12.00 ms"));
        assert!(lines[6].contains("40 (+6 gap)") && lines[6].contains("(reference)"));
    }

    #[test]
    fn a_table_without_seccompy_has_no_ratio_column() {
        let heads = [Head {
            name: "libseccomp-linear",
            full: true,
        }];
        let t = table(&heads, &[m(10, 5, 4.0, 1, 1e3)]);
        assert!(!t.contains("seccompy/best"));
    }

    #[test]
    fn targets_are_checked_one_by_one() {
        let good = m(300, 12, 10.5, 100, 4e5);
        let line = targets_line(&good);
        assert!(!line.contains("NOT"), "{line}");
        let mut bad = m(361, 13, 11.5, 99, 6e5);
        bad.mismatches = Some((3, 1));
        let line = targets_line(&bad);
        assert_eq!(line.matches("NOT met").count(), 6, "{line}");
        assert!(line.contains("table gap (2)"));
    }
}

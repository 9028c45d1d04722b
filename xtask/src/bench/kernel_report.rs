//! The figures of `cargo xtask bench-kernel`: per call, the median cost under each
//! peer, the overhead over the unfiltered call, seccompy's overhead as a fraction
//! of libseccomp-tree's, and whether that fraction meets the target.

use std::fmt::Write as _;

use super::metrics;

/// The peers, in column order: no filter first.
pub const PEERS: [&str; 4] = [
    "no filter",
    "seccompy",
    "libseccomp-linear",
    "libseccomp-tree",
];
/// Index of seccompy in [`PEERS`].
pub const SECCOMPY: usize = 1;
/// Index of libseccomp-linear in [`PEERS`].
pub const LINEAR: usize = 2;
/// Index of libseccomp-tree in [`PEERS`].
pub const TREE: usize = 3;

/// The target: seccompy's overhead at most this fraction of libseccomp-tree's on
/// each uncached call.
pub const TARGET: f64 = 0.60;

/// Summary of one peer's samples for one call (one sample per round).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Median nanoseconds per call.
    pub median: f64,
    /// Interquartile range over the median (the rounds' spread), 0 for one sample.
    pub spread: f64,
    /// The fastest round's nanoseconds per call.
    pub min: f64,
}

/// The `q` quantile (0..=1) of sorted values, interpolated between neighbours.
fn quantile(sorted: &[u64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] as f64 * (1.0 - frac) + sorted[hi] as f64 * frac
}

/// Summarises the rounds' totals (nanoseconds for `calls` calls each) as
/// nanoseconds per call; `None` without samples or calls.
pub fn summarize(totals: &[u64], calls: u64) -> Option<Summary> {
    if calls == 0 {
        return None;
    }
    let median = metrics::median(totals)?;
    let mut sorted = totals.to_vec();
    sorted.sort_unstable();
    let iqr = quantile(&sorted, 0.75) - quantile(&sorted, 0.25);
    Some(Summary {
        median: median / calls as f64,
        spread: if median > 0.0 { iqr / median } else { 0.0 },
        min: sorted[0] as f64 / calls as f64,
    })
}

/// seccompy's overhead as a fraction of libseccomp-tree's; `None` when the tree's
/// overhead is not above zero (nothing to compare with).
pub fn ratio(seccompy_overhead: f64, tree_overhead: f64) -> Option<f64> {
    (tree_overhead > 0.0).then(|| seccompy_overhead / tree_overhead)
}

/// Whether a call meets the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// At most [`TARGET`].
    Met,
    /// Above [`TARGET`].
    NotMet,
    /// A cacheable call: the target is about uncached calls.
    NoTarget,
    /// libseccomp-tree shows no overhead to compare with.
    Undefined,
}

impl Verdict {
    /// The verdict on `ratio` for a call that the target covers or not.
    pub fn of(ratio: Option<f64>, cacheable: bool) -> Verdict {
        match (cacheable, ratio) {
            (true, _) => Verdict::NoTarget,
            (false, None) => Verdict::Undefined,
            (false, Some(r)) if r <= TARGET => Verdict::Met,
            (false, Some(_)) => Verdict::NotMet,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "NOT met",
            Verdict::NoTarget => "cached: no target",
            Verdict::Undefined => "tree has no overhead",
        }
    }
}

/// One call's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// How the call reads, e.g. `getppid()`.
    pub label: String,
    /// Whether the call is the cacheable one (outside the target).
    pub cacheable: bool,
    /// Median ns per call under each of [`PEERS`]; for a call the filters deny
    /// before its body runs, the "no filter" figure is the bare call's.
    pub ns: [f64; 4],
    /// Whether the "no filter" figure is the bare call's (see [`Row::ns`]).
    pub bare_baseline: bool,
}

impl Row {
    /// Each peer's nanoseconds over the unfiltered figure.
    pub fn overheads(&self) -> [f64; 4] {
        self.ns.map(|n| n - self.ns[0])
    }

    /// seccompy's overhead as a fraction of libseccomp-tree's.
    pub fn ratio(&self) -> Option<f64> {
        let o = self.overheads();
        ratio(o[SECCOMPY], o[TREE])
    }

    /// The verdict on [`Row::ratio`].
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.ratio(), self.cacheable)
    }
}

/// The first column's head.
const HEAD: &str = "call (ns/call)";

/// The table: ns under each peer, overheads, the ratio and the verdict.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let label_w = rows
        .iter()
        .map(|r| r.label.chars().count() + usize::from(r.bare_baseline))
        .max()
        .unwrap_or(0)
        .max(HEAD.len());
    writeln!(
        out,
        "{:<label_w$}  {:>10}{:>10}{:>10}{:>10}  | overhead:{:>9}{:>9}{:>9}  | seccompy/tree",
        HEAD, "no filter", "seccompy", "lsc-lin", "lsc-tree", "seccompy", "lsc-lin", "lsc-tree",
    )
    .unwrap();
    for r in rows {
        let label = if r.bare_baseline {
            format!("{}*", r.label)
        } else {
            r.label.clone()
        };
        write!(out, "{label:<label_w$}  ").unwrap();
        for n in r.ns {
            write!(out, "{n:>10.1}").unwrap();
        }
        write!(out, "  | {:9}", "").unwrap();
        for o in &r.overheads()[1..] {
            write!(out, "{o:>+9.1}").unwrap();
        }
        let ratio = r
            .ratio()
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"));
        writeln!(out, "  | {ratio:>5}  {}", r.verdict().text()).unwrap();
    }
    out
}

/// The target line: met when every uncached call meets it.
pub fn target_line(rows: &[Row]) -> String {
    let covered: Vec<&Row> = rows.iter().filter(|r| !r.cacheable).collect();
    let missed: Vec<String> = covered
        .iter()
        .filter(|r| r.verdict() != Verdict::Met)
        .map(|r| {
            let ratio = r
                .ratio()
                .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"));
            format!("{} {ratio}", r.label)
        })
        .collect();
    let verdict = if covered.is_empty() {
        "no uncached call measured".to_owned()
    } else if missed.is_empty() {
        format!("met on all {} uncached calls", covered.len())
    } else {
        format!(
            "NOT met on {} of {} uncached calls ({})",
            missed.len(),
            covered.len(),
            missed.join(", ")
        )
    };
    format!(
        "target: seccompy's overhead over no filter at most {TARGET:.2} x libseccomp-tree's \
         on each uncached call: {verdict}\n"
    )
}

/// A line of each uncached call's ratio and verdict under `title` (a second
/// estimate, such as from the fastest rounds).
pub fn ratios_line(title: &str, rows: &[Row]) -> String {
    let list: Vec<String> = rows
        .iter()
        .filter(|r| !r.cacheable)
        .map(|r| {
            let ratio = r
                .ratio()
                .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"));
            format!("{} {ratio} ({})", r.label, r.verdict().text())
        })
        .collect();
    format!("{title}: {}\n", list.join(", "))
}

/// Nanoseconds per instruction executed, from two programs' overheads on one
/// call and the instructions each executed; `None` for equal counts.
pub fn per_insn(overhead_a: f64, insns_a: usize, overhead_b: f64, insns_b: usize) -> Option<f64> {
    (insns_a != insns_b).then(|| (overhead_a - overhead_b) / (insns_a as f64 - insns_b as f64))
}

/// The ratio to libseccomp-tree's overhead that a program executing no
/// instruction at all would reach: the tree's overhead less its instructions'
/// cost, over the tree's overhead.
pub fn floor_ratio(tree_overhead: f64, tree_insns: usize, per_insn: f64) -> Option<f64> {
    ratio(tree_overhead - per_insn * tree_insns as f64, tree_overhead)
}

/// Where the overhead goes: `fixed`, what any filter costs on the cached call;
/// `per_insn`, the cost of one instruction executed; `floors`, per uncached call,
/// [`floor_ratio`].
pub fn breakdown_text(fixed: Option<f64>, per_insn: Option<f64>, floors: &[(&str, f64)]) -> String {
    let mut out = String::from("breakdown:");
    if let Some(f) = fixed {
        write!(
            out,
            " any filter costs {f:+.1} ns on the cached call (the seccomp entry path, \
             whatever the program);"
        )
        .unwrap();
    }
    match per_insn {
        Some(s) => {
            write!(
                out,
                " one instruction executed costs about {s:.3} ns (libseccomp linear vs tree, \
                 mean over the uncached calls)"
            )
            .unwrap();
            if !floors.is_empty() {
                let list: Vec<String> = floors.iter().map(|(l, r)| format!("{l} {r:.2}")).collect();
                write!(
                    out,
                    ", so a program executing no instruction at all would reach, against \
                     libseccomp-tree: {}",
                    list.join(", ")
                )
                .unwrap();
            }
        }
        None => out.push_str(" no per-instruction cost could be estimated"),
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, cacheable: bool, ns: [f64; 4]) -> Row {
        Row {
            label: label.into(),
            cacheable,
            ns,
            bare_baseline: false,
        }
    }

    #[test]
    fn summaries_are_per_call_medians_with_the_spread() {
        // Totals for 100 calls: the median of 5 is the third value.
        let s = summarize(&[1200, 1000, 1100, 5000, 1050], 100).unwrap();
        assert_eq!((s.median, s.min), (11.0, 10.0));
        // Quartiles of 1000 1050 1100 1200 5000 are 1050 and 1200.
        assert!((s.spread - 150.0 / 1100.0).abs() < 1e-12, "{s:?}");
        // An even count takes the mean of the middle two; quartiles interpolate.
        let s = summarize(&[10, 20, 30, 40], 10).unwrap();
        assert_eq!((s.median, s.min), (2.5, 1.0));
        assert!((s.spread - (32.5 - 17.5) / 25.0).abs() < 1e-12, "{s:?}");
        let one = summarize(&[700], 7).unwrap();
        assert_eq!((one.median, one.spread, one.min), (100.0, 0.0, 100.0));
        assert_eq!(summarize(&[], 10), None);
        assert_eq!(summarize(&[5], 0), None);
    }

    #[test]
    fn ratios_and_verdicts() {
        assert_eq!(ratio(30.0, 60.0), Some(0.5));
        assert_eq!(ratio(-2.0, 40.0), Some(-0.05));
        assert_eq!(ratio(5.0, 0.0), None);
        assert_eq!(ratio(5.0, -1.0), None);
        assert_eq!(Verdict::of(Some(0.6), false), Verdict::Met);
        assert_eq!(Verdict::of(Some(0.61), false), Verdict::NotMet);
        assert_eq!(Verdict::of(None, false), Verdict::Undefined);
        assert_eq!(Verdict::of(Some(3.0), true), Verdict::NoTarget);
    }

    #[test]
    fn rows_measure_overheads_against_no_filter() {
        let r = row("syscall(1000)", false, [100.0, 120.0, 450.0, 150.0]);
        assert_eq!(r.overheads(), [0.0, 20.0, 350.0, 50.0]);
        assert_eq!(r.ratio(), Some(0.4));
        assert_eq!(r.verdict(), Verdict::Met);
        let r = row("x()", false, [100.0, 140.0, 450.0, 150.0]);
        assert_eq!(r.ratio(), Some(0.8));
        assert_eq!(r.verdict(), Verdict::NotMet);
    }

    #[test]
    fn the_table_shows_every_figure_and_verdict() {
        let mut denied = row("socket(40)", false, [100.0, 120.0, 450.0, 150.0]);
        denied.bare_baseline = true;
        let rows = [
            row("getppid()", true, [50.0, 51.0, 52.0, 53.0]),
            denied,
            row("flat()", false, [80.0, 90.0, 85.0, 80.0]),
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("call (ns/call)"), "{t}");
        assert!(lines[0].contains("seccompy/tree"), "{t}");
        let cells = |l: &str| -> Vec<String> { l.split_whitespace().map(str::to_owned).collect() };
        assert_eq!(
            cells(lines[1]),
            [
                "getppid()",
                "50.0",
                "51.0",
                "52.0",
                "53.0",
                "|",
                "+1.0",
                "+2.0",
                "+3.0",
                "|",
                "0.33",
                "cached:",
                "no",
                "target"
            ]
        );
        assert_eq!(
            cells(lines[2]),
            [
                "socket(40)*",
                "100.0",
                "120.0",
                "450.0",
                "150.0",
                "|",
                "+20.0",
                "+350.0",
                "+50.0",
                "|",
                "0.40",
                "met"
            ]
        );
        assert_eq!(
            cells(lines[3]),
            [
                "flat()", "80.0", "90.0", "85.0", "80.0", "|", "+10.0", "+5.0", "+0.0", "|", "-",
                "tree", "has", "no", "overhead"
            ]
        );
        // Columns line up: every row's separators sit where the header's do.
        let bars = |l: &str| -> Vec<usize> { l.match_indices('|').map(|(i, _)| i).collect() };
        for l in &lines[1..] {
            assert_eq!(bars(l), bars(lines[0]), "{t}");
        }
    }

    #[test]
    fn the_cost_per_instruction_and_the_floor() {
        // 600 instructions for +130 ns against 20 for +50 ns: 80 ns / 580.
        let s = per_insn(130.0, 600, 50.0, 20).unwrap();
        assert!((s - 80.0 / 580.0).abs() < 1e-12);
        assert_eq!(per_insn(130.0, 20, 50.0, 20), None);
        // The tree's 20 instructions at 0.5 ns are 10 of its 50 ns.
        assert_eq!(floor_ratio(50.0, 20, 0.5), Some(0.8));
        assert_eq!(floor_ratio(0.0, 20, 0.5), None);
        let t = breakdown_text(Some(38.04), Some(0.1375), &[("a()", 0.951), ("b()", 0.9)]);
        assert_eq!(
            t,
            "breakdown: any filter costs +38.0 ns on the cached call (the seccomp entry path, \
             whatever the program); one instruction executed costs about 0.138 ns (libseccomp \
             linear vs tree, mean over the uncached calls), so a program executing no \
             instruction at all would reach, against libseccomp-tree: a() 0.95, b() 0.90\n"
        );
        assert_eq!(
            breakdown_text(None, None, &[]),
            "breakdown: no per-instruction cost could be estimated\n"
        );
    }

    #[test]
    fn the_target_line_names_the_calls_that_miss() {
        let ok = [
            row("getppid()", true, [50.0, 90.0, 52.0, 53.0]),
            row("a()", false, [100.0, 110.0, 400.0, 150.0]),
        ];
        assert_eq!(
            target_line(&ok),
            "target: seccompy's overhead over no filter at most 0.60 x libseccomp-tree's on \
             each uncached call: met on all 1 uncached calls\n"
        );
        let bad = [
            row("a()", false, [100.0, 110.0, 400.0, 150.0]),
            row("b()", false, [100.0, 180.0, 400.0, 200.0]),
            row("c()", false, [100.0, 110.0, 400.0, 100.0]),
        ];
        let line = target_line(&bad);
        assert!(
            line.ends_with("NOT met on 2 of 3 uncached calls (b() 0.80, c() -)\n"),
            "{line}"
        );
        assert!(target_line(&[]).contains("no uncached call measured"));
        assert_eq!(
            ratios_line("fastest", &bad),
            "fastest: a() 0.20 (met), b() 0.80 (NOT met), c() - (tree has no overhead)\n"
        );
    }
}

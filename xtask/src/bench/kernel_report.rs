//! The figures of `cargo xtask bench-kernel`: per call, the median cost under each
//! peer, the overhead over the unfiltered call, seccompy's overhead as a fraction
//! of libseccomp-tree's, and whether that fraction meets the target; then the
//! floor (the smallest program that decides the calls as docker-default does and
//! that the kernel runs on every call): its overhead is a lower bound for any
//! filter's, so its fraction of libseccomp-tree's says whether the target can be
//! met at all, and what lies beyond it is the part a compiler can change.

use std::fmt::Write as _;

use super::metrics;

/// The number of peers.
pub const NPEERS: usize = 5;
/// The peers, in column order: no filter first.
pub const PEERS: [&str; NPEERS] = [
    "no filter",
    "seccompy",
    "libseccomp-linear",
    "libseccomp-tree",
    "floor",
];
/// Index of seccompy in [`PEERS`].
pub const SECCOMPY: usize = 1;
/// Index of libseccomp-linear in [`PEERS`].
pub const LINEAR: usize = 2;
/// Index of libseccomp-tree in [`PEERS`].
pub const TREE: usize = 3;
/// Index of the floor program in [`PEERS`].
pub const FLOOR: usize = 4;

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

/// Whether a filter could meet the target on a call at all, from the floor's
/// overhead: any filter costs at least as much, so when the floor's overhead is
/// above [`TARGET`] times libseccomp-tree's, no filter meets the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The floor's overhead is at most [`TARGET`] times the tree's.
    Within,
    /// The floor's overhead is above [`TARGET`] times the tree's: out of reach
    /// for any filter.
    Out,
    /// A cacheable call: the target is about uncached calls.
    NoTarget,
    /// libseccomp-tree shows no overhead to compare with.
    Undefined,
}

impl Reach {
    /// The reach from the floor's overhead as a fraction of the tree's, for a
    /// call that the target covers or not.
    pub fn of(floor_ratio: Option<f64>, cacheable: bool) -> Reach {
        match Verdict::of(floor_ratio, cacheable) {
            Verdict::Met => Reach::Within,
            Verdict::NotMet => Reach::Out,
            Verdict::NoTarget => Reach::NoTarget,
            Verdict::Undefined => Reach::Undefined,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Reach::Within => "within reach",
            Reach::Out => "OUT of reach",
            Reach::NoTarget => Verdict::NoTarget.text(),
            Reach::Undefined => Verdict::Undefined.text(),
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
    pub ns: [f64; NPEERS],
    /// Whether the "no filter" figure is the bare call's (see [`Row::ns`]).
    pub bare_baseline: bool,
    /// Instructions the kernel runs for the call under each of [`PEERS`]
    /// (emulated): `None` without a filter or when the action cache skips it.
    pub executed: [Option<usize>; NPEERS],
}

impl Row {
    /// Each peer's nanoseconds over the unfiltered figure.
    pub fn overheads(&self) -> [f64; NPEERS] {
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

    /// The floor's overhead as a fraction of libseccomp-tree's: the lowest
    /// [`Row::ratio`] any filter could reach.
    pub fn floor_ratio(&self) -> Option<f64> {
        let o = self.overheads();
        ratio(o[FLOOR], o[TREE])
    }

    /// Whether the target is within reach of any filter (see [`Reach`]).
    pub fn reach(&self) -> Reach {
        Reach::of(self.floor_ratio(), self.cacheable)
    }

    /// seccompy's and libseccomp-tree's overheads beyond the floor's: the part
    /// of each that a compiler can change.
    pub fn beyond_floor(&self) -> (f64, f64) {
        let o = self.overheads();
        (o[SECCOMPY] - o[FLOOR], o[TREE] - o[FLOOR])
    }

    /// seccompy's overhead beyond the floor as a fraction of libseccomp-tree's
    /// beyond the floor.
    pub fn beyond_ratio(&self) -> Option<f64> {
        let (s, t) = self.beyond_floor();
        ratio(s, t)
    }
}

/// The first column's head.
const HEAD: &str = "call (ns/call)";

/// The first column's width: the longest label (with its `*`) or head.
fn label_width(rows: &[Row]) -> usize {
    rows.iter()
        .map(|r| r.label.chars().count() + usize::from(r.bare_baseline))
        .max()
        .unwrap_or(0)
        .max(HEAD.len())
}

/// A row's label, with `*` when its "no filter" figure is the bare call's.
fn label(r: &Row) -> String {
    if r.bare_baseline {
        format!("{}*", r.label)
    } else {
        r.label.clone()
    }
}

/// A ratio with two decimals, `-` for none.
fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
}

/// The table: ns under each peer, overheads, the ratio and the verdict.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let label_w = label_width(rows);
    writeln!(
        out,
        "{:<label_w$}  {:>10}{:>10}{:>10}{:>10}{:>10}  | overhead:{:>9}{:>9}{:>9}{:>9}  \
         | seccompy/tree",
        HEAD,
        "no filter",
        "seccompy",
        "lsc-lin",
        "lsc-tree",
        "floor",
        "seccompy",
        "lsc-lin",
        "lsc-tree",
        "floor",
    )
    .unwrap();
    for r in rows {
        write!(out, "{:<label_w$}  ", label(r)).unwrap();
        for n in r.ns {
            write!(out, "{n:>10.1}").unwrap();
        }
        write!(out, "  | {:9}", "").unwrap();
        for o in &r.overheads()[1..] {
            write!(out, "{o:>+9.1}").unwrap();
        }
        writeln!(
            out,
            "  | {:>5}  {}",
            ratio_text(r.ratio()),
            r.verdict().text()
        )
        .unwrap();
    }
    out
}

/// The target line: met when every uncached call meets it.
pub fn target_line(rows: &[Row]) -> String {
    let covered: Vec<&Row> = rows.iter().filter(|r| !r.cacheable).collect();
    let missed: Vec<String> = covered
        .iter()
        .filter(|r| r.verdict() != Verdict::Met)
        .map(|r| format!("{} {}", r.label, ratio_text(r.ratio())))
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
    uncached_line(title, rows, |r| (r.ratio(), r.verdict().text()))
}

/// `title: <call> <ratio> (<word>), ...` over the uncached calls, from what
/// `each` gives of a row.
fn uncached_line(
    title: &str,
    rows: &[Row],
    each: impl Fn(&Row) -> (Option<f64>, &'static str),
) -> String {
    let list: Vec<String> = rows
        .iter()
        .filter(|r| !r.cacheable)
        .map(|r| {
            let (ratio, word) = each(r);
            format!("{} {} ({word})", r.label, ratio_text(ratio))
        })
        .collect();
    format!("{title}: {}\n", list.join(", "))
}

/// The floor's table: per call, the floor's overhead, its fraction of
/// libseccomp-tree's and whether the target is within reach of any filter;
/// seccompy's and libseccomp-tree's overheads beyond the floor and their ratio;
/// the instructions each filter runs.
pub fn floor_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let label_w = label_width(rows);
    writeln!(
        out,
        "{:<label_w$}  | floor:{:>9}{:>7}  {:<20} | beyond floor:{:>9}{:>9}{:>7}  \
         | insns run:{:>9}{:>9}{:>9}{:>9}",
        HEAD,
        "overhead",
        "/tree",
        "target",
        "seccompy",
        "lsc-tree",
        "ratio",
        "seccompy",
        "lsc-lin",
        "lsc-tree",
        "floor",
    )
    .unwrap();
    for r in rows {
        let (s, t) = r.beyond_floor();
        write!(
            out,
            "{:<label_w$}  | {:6}{:>+9.1}{:>7}  {:<20} | {:13}{s:>+9.1}{t:>+9.1}{:>7}  | {:10}",
            label(r),
            "",
            r.overheads()[FLOOR],
            ratio_text(r.floor_ratio()),
            r.reach().text(),
            "",
            ratio_text(r.beyond_ratio()),
            "",
        )
        .unwrap();
        for e in &r.executed[1..] {
            let e = e.map_or_else(|| "cached".to_owned(), |n| n.to_string());
            write!(out, "{e:>9}").unwrap();
        }
        out.push('\n');
    }
    out
}

/// The floor's line: whether the target is within reach of any filter on every
/// uncached call.
pub fn floor_line(rows: &[Row]) -> String {
    let covered: Vec<&Row> = rows.iter().filter(|r| !r.cacheable).collect();
    let list: Vec<String> = covered
        .iter()
        .map(|r| format!("{} {}", r.label, ratio_text(r.floor_ratio())))
        .collect();
    let out = covered.iter().filter(|r| r.reach() == Reach::Out).count();
    let undefined = covered
        .iter()
        .filter(|r| r.reach() == Reach::Undefined)
        .count();
    let verdict = if covered.is_empty() {
        "no uncached call measured".to_owned()
    } else if out > 0 {
        format!(
            "the target is OUT of reach of any filter on this machine on {out} of {} uncached \
             calls",
            covered.len()
        )
    } else if undefined > 0 {
        format!(
            "libseccomp-tree shows no overhead on {undefined} of {} uncached calls",
            covered.len()
        )
    } else {
        format!(
            "the target is within reach on all {} uncached calls",
            covered.len()
        )
    };
    let list = if list.is_empty() {
        String::new()
    } else {
        format!(" (floor/tree: {})", list.join(", "))
    };
    format!(
        "floor: a filter deciding these calls as docker-default does runs on each uncached \
         one and costs at least about the floor, so seccompy/tree can be at most {TARGET:.2} \
         only where floor/tree is: {verdict}{list}\n"
    )
}

/// A line of each uncached call's floor/tree ratio and reach under `title` (a
/// second estimate, such as from the fastest rounds).
pub fn floor_ratios_line(title: &str, rows: &[Row]) -> String {
    uncached_line(title, rows, |r| (r.floor_ratio(), r.reach().text()))
}

/// Nanoseconds per instruction executed, from two programs' overheads on one
/// call and the instructions each executed; `None` for equal counts.
pub fn per_insn(overhead_a: f64, insns_a: usize, overhead_b: f64, insns_b: usize) -> Option<f64> {
    (insns_a != insns_b).then(|| (overhead_a - overhead_b) / (insns_a as f64 - insns_b as f64))
}

/// The ratio to libseccomp-tree's overhead that a program executing no
/// instruction at all would reach: the tree's overhead less its instructions'
/// cost, over the tree's overhead (an estimate the measured floor checks).
pub fn no_insn_ratio(tree_overhead: f64, tree_insns: usize, per_insn: f64) -> Option<f64> {
    ratio(tree_overhead - per_insn * tree_insns as f64, tree_overhead)
}

/// The cost of one instruction executed: per uncached call where both ran,
/// [`per_insn`] from libseccomp-linear's and libseccomp-tree's overheads and
/// instructions, averaged over the calls.
pub fn per_insn_cost(rows: &[Row]) -> Option<f64> {
    let slopes: Vec<f64> = rows
        .iter()
        .filter(|r| !r.cacheable)
        .filter_map(|r| {
            let o = r.overheads();
            per_insn(o[LINEAR], r.executed[LINEAR]?, o[TREE], r.executed[TREE]?)
        })
        .collect();
    (!slopes.is_empty()).then(|| slopes.iter().sum::<f64>() / slopes.len() as f64)
}

/// Where the overhead goes: [`breakdown_text`] from the cached call's
/// libseccomp-tree overhead, [`per_insn_cost`] and each uncached call's
/// [`no_insn_ratio`].
pub fn breakdown(rows: &[Row]) -> String {
    let fixed = rows
        .iter()
        .find(|r| r.cacheable)
        .map(|r| r.overheads()[TREE]);
    let slope = per_insn_cost(rows);
    let floors: Vec<(&str, f64)> = match slope {
        Some(s) => rows
            .iter()
            .filter(|r| !r.cacheable)
            .filter_map(|r| {
                let f = no_insn_ratio(r.overheads()[TREE], r.executed[TREE]?, s)?;
                Some((r.label.as_str(), f))
            })
            .collect(),
        None => Vec::new(),
    };
    breakdown_text(fixed, slope, &floors)
}

/// What running a filter at all costs beyond a cached call: on the cacheable
/// call, the floor's overhead (the kernel runs it) less libseccomp-tree's (the
/// cache skips it); `None` unless they ran and were skipped so.
pub fn run_cost(rows: &[Row]) -> Option<f64> {
    let r = rows.iter().find(|r| r.cacheable)?;
    let o = r.overheads();
    (r.executed[TREE].is_none() && r.executed[FLOOR].is_some()).then(|| o[FLOOR] - o[TREE])
}

/// seccompy's and libseccomp-tree's overheads beyond the floor as their extra
/// instructions would cost at `per_insn` ns each; `None` for a call one of them
/// does not run.
pub fn expected_beyond(row: &Row, per_insn: f64) -> Option<(f64, f64)> {
    let floor = row.executed[FLOOR]? as f64;
    let extra = |p: usize| Some((row.executed[p]? as f64 - floor) * per_insn);
    Some((extra(SECCOMPY)?, extra(TREE)?))
}

/// The floor's breakdown: what running a filter costs beyond the cached call
/// ([`run_cost`]), and per uncached call the overheads beyond the floor that the
/// instructions run explain ([`expected_beyond`] at [`per_insn_cost`]), against
/// the measured ones in the floor's table.
pub fn floor_breakdown(rows: &[Row]) -> String {
    let mut out = String::from("floor breakdown:");
    if let (Some(run), Some(r)) = (run_cost(rows), rows.iter().find(|r| r.cacheable)) {
        write!(
            out,
            " running a filter at all costs {run:+.1} ns over a cached call (the floor, run, \
             against libseccomp-tree, cached, on {});",
            r.label
        )
        .unwrap();
    }
    let Some(s) = per_insn_cost(rows) else {
        out.push_str(" no per-instruction cost to explain the rest\n");
        return out;
    };
    let list: Vec<String> = rows
        .iter()
        .filter(|r| !r.cacheable)
        .filter_map(|r| {
            let (sc, tr) = expected_beyond(r, s)?;
            Some(format!(
                "{} seccompy {sc:+.1} vs tree {tr:+.1} ns ({})",
                r.label,
                ratio_text(ratio(sc, tr))
            ))
        })
        .collect();
    writeln!(
        out,
        " beyond the floor, the extra instructions at {s:.3} ns each account for: {}",
        list.join(", ")
    )
    .unwrap();
    out
}

/// Where the overhead goes: `fixed`, what any filter costs on the cached call;
/// `per_insn`, the cost of one instruction executed; `floors`, per uncached call,
/// [`no_insn_ratio`].
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

    /// A table line's cells.
    fn cells(line: &str) -> Vec<&str> {
        line.split_whitespace().collect()
    }

    fn row(label: &str, cacheable: bool, ns: [f64; NPEERS]) -> Row {
        Row {
            label: label.into(),
            cacheable,
            ns,
            bare_baseline: false,
            executed: [None; NPEERS],
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
        assert_eq!(Reach::of(Some(0.6), false), Reach::Within);
        assert_eq!(Reach::of(Some(0.95), false), Reach::Out);
        assert_eq!(Reach::of(None, false), Reach::Undefined);
        assert_eq!(Reach::of(Some(0.95), true), Reach::NoTarget);
    }

    #[test]
    fn rows_measure_overheads_against_no_filter() {
        let r = row("syscall(1000)", false, [100.0, 120.0, 450.0, 150.0, 110.0]);
        assert_eq!(r.overheads(), [0.0, 20.0, 350.0, 50.0, 10.0]);
        assert_eq!(r.ratio(), Some(0.4));
        assert_eq!(r.verdict(), Verdict::Met);
        // The floor's 10 ns are a fifth of the tree's 50; beyond them seccompy
        // adds 10 ns, the tree 40.
        assert_eq!(r.floor_ratio(), Some(0.2));
        assert_eq!(r.reach(), Reach::Within);
        assert_eq!(r.beyond_floor(), (10.0, 40.0));
        assert_eq!(r.beyond_ratio(), Some(0.25));
        let r = row("x()", false, [100.0, 140.0, 450.0, 150.0, 138.0]);
        assert_eq!(r.ratio(), Some(0.8));
        assert_eq!(r.verdict(), Verdict::NotMet);
        // A floor of 38 of the tree's 50 ns: no filter reaches 0.60.
        assert_eq!(r.floor_ratio(), Some(0.76));
        assert_eq!(r.reach(), Reach::Out);
        assert_eq!(r.beyond_floor(), (2.0, 12.0));
        // A floor above the tree leaves nothing beyond it to compare.
        let r = row("y()", false, [100.0, 140.0, 450.0, 150.0, 151.0]);
        assert_eq!(r.beyond_ratio(), None);
    }

    #[test]
    fn the_table_shows_every_figure_and_verdict() {
        let mut denied = row("socket(40)", false, [100.0, 120.0, 450.0, 150.0, 110.0]);
        denied.bare_baseline = true;
        let rows = [
            row("getppid()", true, [50.0, 51.0, 52.0, 53.0, 54.0]),
            denied,
            row("flat()", false, [80.0, 90.0, 85.0, 80.0, 81.0]),
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("call (ns/call)"), "{t}");
        assert!(lines[0].contains("seccompy/tree"), "{t}");
        assert_eq!(
            cells(lines[1]),
            [
                "getppid()",
                "50.0",
                "51.0",
                "52.0",
                "53.0",
                "54.0",
                "|",
                "+1.0",
                "+2.0",
                "+3.0",
                "+4.0",
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
                "110.0",
                "|",
                "+20.0",
                "+350.0",
                "+50.0",
                "+10.0",
                "|",
                "0.40",
                "met"
            ]
        );
        assert_eq!(
            cells(lines[3]),
            [
                "flat()", "80.0", "90.0", "85.0", "80.0", "81.0", "|", "+10.0", "+5.0", "+0.0",
                "+1.0", "|", "-", "tree", "has", "no", "overhead"
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
        assert_eq!(no_insn_ratio(50.0, 20, 0.5), Some(0.8));
        assert_eq!(no_insn_ratio(0.0, 20, 0.5), None);
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
    fn the_breakdowns_from_the_rows() {
        // Cached under the compiled programs (+40 ns), run under the floor (+58).
        let mut cached = row("getppid()", true, [160.0, 200.0, 200.0, 200.0, 218.0]);
        cached.executed = [None, None, None, None, Some(5)];
        // Linear runs 600 - 20 = 580 more instructions than the tree for
        // 116 ns more: 0.2 ns each. Beyond the floor's 5 instructions, seccompy
        // runs 10 more (2 ns), the tree 15 (3 ns).
        let mut a = row("a()", false, [100.0, 150.0, 266.0, 150.0, 147.0]);
        a.executed = [None, Some(15), Some(600), Some(20), Some(5)];
        // 580 more instructions for 69.6 ns: 0.12 ns each; the mean is 0.16.
        let mut b = row("b()", false, [100.0, 140.0, 209.6, 140.0, 139.0]);
        b.executed = [None, Some(5), Some(600), Some(20), Some(5)];
        let rows = [cached, a, b];
        let s = per_insn_cost(&rows).unwrap();
        assert!((s - 0.16).abs() < 1e-12, "{s}");
        assert_eq!(run_cost(&rows), Some(18.0));
        let (sc, tr) = expected_beyond(&rows[1], 0.2).unwrap();
        assert!(
            (sc - 2.0).abs() < 1e-12 && (tr - 3.0).abs() < 1e-12,
            "{sc} {tr}"
        );
        assert_eq!(expected_beyond(&rows[0], 0.2), None);
        // The tree's 50 ns less its 20 instructions at 0.16 ns: 46.8 of 50; for
        // b(), 36.8 of 40.
        let text = breakdown(&rows);
        assert!(
            text.contains("any filter costs +40.0 ns on the cached call"),
            "{text}"
        );
        assert!(
            text.ends_with("against libseccomp-tree: a() 0.94, b() 0.92\n"),
            "{text}"
        );
        assert_eq!(
            floor_breakdown(&rows),
            "floor breakdown: running a filter at all costs +18.0 ns over a cached call (the \
             floor, run, against libseccomp-tree, cached, on getppid()); beyond the floor, the \
             extra instructions at 0.160 ns each account for: a() seccompy +1.6 vs tree +2.4 ns \
             (0.67), b() seccompy +0.0 vs tree +2.4 ns (0.00)\n"
        );
        // Without instruction counts nothing is estimated.
        let bare = [row("a()", false, [100.0, 150.0, 266.0, 150.0, 147.0])];
        assert_eq!(per_insn_cost(&bare), None);
        assert_eq!(run_cost(&bare), None);
        assert_eq!(
            floor_breakdown(&bare),
            "floor breakdown: no per-instruction cost to explain the rest\n"
        );
    }

    #[test]
    fn the_target_line_names_the_calls_that_miss() {
        let ok = [
            row("getppid()", true, [50.0, 90.0, 52.0, 53.0, 54.0]),
            row("a()", false, [100.0, 110.0, 400.0, 150.0, 105.0]),
        ];
        assert_eq!(
            target_line(&ok),
            "target: seccompy's overhead over no filter at most 0.60 x libseccomp-tree's on \
             each uncached call: met on all 1 uncached calls\n"
        );
        let bad = [
            row("a()", false, [100.0, 110.0, 400.0, 150.0, 105.0]),
            row("b()", false, [100.0, 180.0, 400.0, 200.0, 170.0]),
            row("c()", false, [100.0, 110.0, 400.0, 100.0, 105.0]),
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
        // Floors of 5/50 and 70/100 of the tree's overhead; none for c().
        let line = floor_line(&bad);
        assert!(
            line.ends_with(
                ": the target is OUT of reach of any filter on this machine on 1 of 3 \
                 uncached calls (floor/tree: a() 0.10, b() 0.70, c() -)\n"
            ),
            "{line}"
        );
        assert!(
            floor_line(&ok).ends_with(
                ": the target is within reach on all 1 uncached calls (floor/tree: a() 0.10)\n"
            ),
            "{}",
            floor_line(&ok)
        );
        assert!(
            floor_line(&bad[2..]).contains("libseccomp-tree shows no overhead on 1 of 1"),
            "{}",
            floor_line(&bad[2..])
        );
        assert!(floor_line(&[]).contains("no uncached call measured"));
        assert_eq!(
            floor_ratios_line("fastest", &bad),
            "fastest: a() 0.10 (within reach), b() 0.70 (OUT of reach), c() - (tree has no \
             overhead)\n"
        );
    }

    #[test]
    fn the_floor_table_shows_what_lies_beyond_the_floor() {
        // Cached under the compiled programs: the floor runs, the others do not.
        let mut cached = row("getppid()", true, [50.0, 51.0, 52.0, 53.0, 90.0]);
        cached.executed = [None, None, None, None, Some(5)];
        let mut denied = row("socket(40)", false, [100.0, 140.0, 450.0, 150.0, 138.0]);
        denied.bare_baseline = true;
        denied.executed = [None, Some(12), Some(300), Some(24), Some(5)];
        let t = floor_table(&[cached, denied]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with("call (ns/call)"), "{t}");
        assert_eq!(
            cells(lines[1]),
            [
                "getppid()",
                "|",
                "+40.0",
                "13.33",
                "cached:",
                "no",
                "target",
                "|",
                "-39.0",
                "-37.0",
                "-",
                "|",
                "cached",
                "cached",
                "cached",
                "5"
            ]
        );
        // Floor 38 of the tree's 50 ns; beyond it seccompy +2, the tree +12.
        assert_eq!(
            cells(lines[2]),
            [
                "socket(40)*",
                "|",
                "+38.0",
                "0.76",
                "OUT",
                "of",
                "reach",
                "|",
                "+2.0",
                "+12.0",
                "0.17",
                "|",
                "12",
                "300",
                "24",
                "5"
            ]
        );
        let bars = |l: &str| -> Vec<usize> { l.match_indices('|').map(|(i, _)| i).collect() };
        for l in &lines[1..] {
            assert_eq!(bars(l), bars(lines[0]), "{t}");
        }
    }
}

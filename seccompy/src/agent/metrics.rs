//! Per-container, per-system-call counters in Prometheus text format (the
//! format node_exporter's textfile collector reads).
//!
//! # References
//! - [Prometheus text exposition format](https://prometheus.io/docs/instrumenting/exposition_formats/)

use std::collections::BTreeMap;
use std::fmt::Write;

/// Decisions counted by container, system call and kind of decision.
#[derive(Debug, Default, Clone)]
pub(crate) struct Metrics {
    /// Container, then system call, then kind of decision.
    decisions: BTreeMap<String, BTreeMap<String, BTreeMap<&'static str, u64>>>,
}

impl Metrics {
    /// Counts one decision; allocates only for a new container or system call.
    #[cfg(test)]
    pub(crate) fn count(&mut self, container: &str, syscall: &str, kind: &'static str) {
        self.add(container, syscall, kind, 1);
    }

    /// Counts `n` decisions.
    pub(crate) fn add(&mut self, container: &str, syscall: &str, kind: &'static str, n: u64) {
        if !self.decisions.contains_key(container) {
            self.decisions
                .insert(container.to_string(), BTreeMap::new());
        }
        let Some(calls) = self.decisions.get_mut(container) else {
            return;
        };
        if !calls.contains_key(syscall) {
            calls.insert(syscall.to_string(), BTreeMap::new());
        }
        if let Some(kinds) = calls.get_mut(syscall) {
            *kinds.entry(kind).or_insert(0) += n;
        }
    }

    /// The counters, and the listeners served now by container.
    pub(crate) fn render(&self, listeners: &BTreeMap<String, u64>) -> String {
        let mut s = String::from(
            "# HELP seccompy_agent_decisions_total Notified calls decided, by container, system call and decision.\n\
             # TYPE seccompy_agent_decisions_total counter\n",
        );
        for (container, calls) in &self.decisions {
            for (syscall, kinds) in calls {
                for (kind, n) in kinds {
                    let _ = writeln!(
                        s,
                        "seccompy_agent_decisions_total{{container=\"{}\",syscall=\"{}\",decision=\"{kind}\"}} {n}",
                        escape(container),
                        escape(syscall)
                    );
                }
            }
        }
        s.push_str(
            "# HELP seccompy_agent_listeners Listeners served now, by container.\n\
             # TYPE seccompy_agent_listeners gauge\n",
        );
        for (container, n) in listeners {
            let _ = writeln!(
                s,
                "seccompy_agent_listeners{{container=\"{}\"}} {n}",
                escape(container)
            );
        }
        s
    }
}

/// A label value: backslash, double quote and line feed escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let mut m = Metrics::default();
        m.count("c1", "mkdir", "errno");
        m.count("c1", "mkdir", "errno");
        m.count("we\"ird\n", "mknodat", "emulated");
        let mut live = BTreeMap::new();
        live.insert("c1".to_string(), 2);
        let text = m.render(&live);
        assert!(text.contains(
            "seccompy_agent_decisions_total{container=\"c1\",syscall=\"mkdir\",decision=\"errno\"} 2\n"
        ));
        assert!(
            text.contains(
                "container=\"we\\\"ird\\n\",syscall=\"mknodat\",decision=\"emulated\"} 1\n"
            )
        );
        assert!(text.contains("seccompy_agent_listeners{container=\"c1\"} 2\n"));
        assert_eq!(text.matches("# TYPE").count(), 2);
    }
}

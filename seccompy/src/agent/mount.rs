//! The `mount` handler.

use super::handlers::{Call, Decision};

/// Filesystem types the `mount` handler can mount.
pub const ALLOWED_TYPES: &[&str] = &["proc", "tmpfs", "sysfs", "mqueue", "devpts"];

pub(crate) fn mount(call: &Call<'_>, _types: &[String]) -> Decision {
    Decision::errno(
        super::describe::describe(call.listener, &call.notification),
        crate::unotify::Errno::EPERM,
        "handler not built yet",
    )
}

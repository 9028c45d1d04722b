//! The `sysinfo` handler.

use super::handlers::{Call, Decision};

pub(crate) fn sysinfo(call: &Call<'_>) -> Decision {
    Decision::errno(
        super::describe::describe(call.listener, &call.notification),
        crate::unotify::Errno::EPERM,
        "handler not built yet",
    )
}

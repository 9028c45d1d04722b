//! Docker and OCI seccomp profiles on this host: what resolving a profile needs
//! to know about the machine, and the filter flags the profile asks for.
//!
//! [`seccompy_bpf::oci`] reads a profile and resolves it for any machine given
//! by [`ResolveOptions`] (architecture, capabilities, kernel version). This
//! module supplies those facts for the machine it runs on, and turns the
//! profile's `flags` into [`FilterFlags`]:
//!
//! - [`running_kernel`]: the kernel version Docker compares `minKernel` with;
//! - [`host_options`]: this machine's ABI, Docker's default capabilities
//!   ([`CapSet::docker_default`]) and the running kernel;
//! - [`profile_flags`]: the profile's `flags` as runc installs them;
//! - [`resolve_for_host`] (or [`resolve`] with other options): the resolved
//!   profile, its [`Policy`] and its flags in one [`Resolution`], ready to
//!   compile and install.
//!
//! ```no_run
//! use seccompy::oci::{Profile, resolve_for_host};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let json = std::fs::read_to_string("profiles/docker-default.json")?;
//! let profile = Profile::from_json(&json)?;
//! let resolution = resolve_for_host(&profile)?.ok_or("the profile installs no filter")?;
//! let program = resolution.policy.compile()?;
//! seccompy::set_no_new_privileges()?;
//! seccompy::set_filter(resolution.flags, &program)?;
//! # Ok(()) }
//! ```
//!
//! The names: [`Profile`] is the JSON document; [`seccompy_bpf::oci::Filter`]
//! is not a seccomp filter but a rule's `includes`/`excludes` condition (caps,
//! arches, `minKernel`) inside it; [`Resolved`] is the profile as runc applies
//! it on one machine; its [`Policy`] is what the compiler takes, and
//! [`Filter::from_policy`](crate::Filter::from_policy) gives the documented
//! API's [`Filter`](crate::Filter) for it when one can express it.

use seccompy_bpf::CompileError;
pub use seccompy_bpf::oci::{
    CapSet, Profile, ResolveError, ResolveOptions, Resolved, ToPolicyError,
};
use seccompy_bpf::policy::Policy;
use seccompy_sys::KernelVersion;

use crate::FilterFlags;
use crate::filter::args::HOST_ABI;

/// Why a profile could not be resolved for this host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// `uname(2)` failed or gave a release that does not start with
    /// `major.minor`.
    #[error("cannot read the running kernel's version (uname)")]
    RunningKernel,
    /// The profile is not one runc would apply (an unknown action,
    /// architecture, flag, ...).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The resolved profile is not a policy (see [`Resolved::to_policy`]).
    #[error(transparent)]
    ToPolicy(#[from] ToPolicyError),
}

/// The running kernel's version, which Docker compares a rule's `minKernel`
/// with ([`KernelVersion::running`]).
///
/// # Errors
/// [`OciError::RunningKernel`].
///
/// # References
/// - [`uname(2)`](https://man7.org/linux/man-pages/man2/uname.2.html)
pub fn running_kernel() -> Result<KernelVersion, OciError> {
    KernelVersion::running().ok_or(OciError::RunningKernel)
}

/// The options Docker resolves a profile with on this machine, for a container
/// with its default capabilities: the ABI this crate is compiled for,
/// [`CapSet::docker_default`] and the [`running_kernel`]. Change the
/// capabilities with [`ResolveOptions::with_caps`].
///
/// # Errors
/// [`OciError::RunningKernel`].
pub fn host_options() -> Result<ResolveOptions, OciError> {
    Ok(ResolveOptions::new(HOST_ABI, running_kernel()?))
}

/// The filter flags runc installs a resolved profile with, from its `flags`
/// (which [`resolve`] has checked are the three runc knows):
/// `SECCOMP_FILTER_FLAG_LOG` and `SECCOMP_FILTER_FLAG_SPEC_ALLOW`.
/// `SECCOMP_FILTER_FLAG_TSYNC` is left out, as runc leaves it out.
#[must_use]
pub fn profile_flags(resolved: &Resolved) -> FilterFlags {
    resolved
        .flags
        .iter()
        .map(|name| match name.as_str() {
            "SECCOMP_FILTER_FLAG_LOG" => FilterFlags::LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => FilterFlags::SPEC_ALLOW,
            _ => FilterFlags::empty(),
        })
        .fold(FilterFlags::empty(), |all, f| all | f)
}

/// A profile resolved for one machine: what to compile and how to install it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Resolution {
    /// The options it was resolved with.
    pub options: ResolveOptions,
    /// The profile as runc applies it.
    pub resolved: Resolved,
    /// Its policy ([`Resolved::to_policy`]), for
    /// [`Policy::compile`] or [`Filter::from_policy`](crate::Filter::from_policy).
    pub policy: Policy,
    /// The flags to install it with ([`profile_flags`]).
    pub flags: FilterFlags,
}

impl Resolution {
    /// The policy's program.
    ///
    /// # Errors
    /// [`CompileError`] from [`Policy::compile`].
    pub fn compile(&self) -> Result<seccompy_bpf::Program, CompileError> {
        self.policy.compile()
    }
}

/// Resolves `profile` with `opts`, as Docker, runc and libseccomp apply it
/// ([`seccompy_bpf::oci::resolve`]), and gives its policy and flags; `None` if
/// the profile installs no filter on that machine (no default action and no
/// rule for its architecture).
///
/// # Errors
/// [`OciError::Resolve`] and [`OciError::ToPolicy`].
pub fn resolve(profile: &Profile, opts: &ResolveOptions) -> Result<Option<Resolution>, OciError> {
    let Some(resolved) = profile.resolve(opts)? else {
        return Ok(None);
    };
    let policy = resolved.to_policy()?;
    let flags = profile_flags(&resolved);
    Ok(Some(Resolution {
        options: *opts,
        resolved,
        policy,
        flags,
    }))
}

/// [`resolve`]s `profile` for this machine ([`host_options`]): this crate's
/// ABI, Docker's default capabilities, the running kernel.
///
/// # Errors
/// [`OciError`].
pub fn resolve_for_host(profile: &Profile) -> Result<Option<Resolution>, OciError> {
    resolve(profile, &host_options()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_the_ones_runc_installs() {
        let profile = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC",
                "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}"#,
        )
        .unwrap();
        let opts = ResolveOptions::new(HOST_ABI, KernelVersion::new(6, 1));
        let r = resolve(&profile, &opts).unwrap().unwrap();
        assert_eq!(r.flags, FilterFlags::LOG | FilterFlags::SPEC_ALLOW);
        assert_eq!(r.options, opts);
        let none = Profile::from_json(r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#).unwrap();
        let r = resolve(&none, &opts).unwrap().unwrap();
        assert_eq!(r.flags, FilterFlags::empty());
        let bad = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}"#,
        )
        .unwrap();
        assert!(matches!(
            resolve(&bad, &opts),
            Err(OciError::Resolve(ResolveError::UnknownFlag { .. }))
        ));
    }
}

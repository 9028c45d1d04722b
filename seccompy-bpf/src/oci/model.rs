//! The JSON model: the runtime-spec `linux.seccomp` object, extended with Docker's
//! fields (`archMap`, `includes`, `excludes`, `name`, `comment`).
//!
//! Every field is optional and `null` counts as absent, as Go's `encoding/json`
//! leaves a field at its zero value for both. Unknown fields are ignored, as Go
//! does. Where an object is expected, only an object is taken, as Go does
//! (serde's derive would also take an array, its elements for the fields in
//! order). Unlike Go, keys are matched case-sensitively (Go also accepts
//! `"DefaultAction"`); profiles in the wild use the spec's spelling.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `T` read from a JSON object only.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Only(PhantomData)).map(Object)
    }
}

/// An optional object (`null` is absent).
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Option::<Object<T>>::deserialize(d)?.map(|o| o.0))
}

/// An optional array of objects (`null` is absent).
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<Vec<Object<T>>>::deserialize(d)?.map(|v| v.into_iter().map(|o| o.0).collect()))
}

/// A seccomp profile: OCI runtime-spec format, Docker format, or a mix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// `defaultAction`: an `SCMP_ACT_*` name.
    #[serde(default)]
    pub default_action: Option<String>,
    /// `defaultErrnoRet`: the errno of an `SCMP_ACT_ERRNO` or `SCMP_ACT_TRACE`
    /// default action (`EPERM` without it).
    #[serde(default)]
    pub default_errno_ret: Option<u64>,
    /// `architectures`: `SCMP_ARCH_*` names (runtime-spec). Docker refuses a profile
    /// with both this and `archMap`.
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    /// `archMap` (Docker): for each main architecture, its sub-architectures.
    #[serde(default, deserialize_with = "objects")]
    pub arch_map: Option<Vec<ArchMapEntry>>,
    /// `flags`: `SECCOMP_FILTER_FLAG_*` names.
    #[serde(default)]
    pub flags: Option<Vec<String>>,
    /// `listenerPath`: the socket of the user-notification agent (kept, unused).
    #[serde(default)]
    pub listener_path: Option<String>,
    /// `listenerMetadata`: opaque data for the agent (kept, unused).
    #[serde(default)]
    pub listener_metadata: Option<String>,
    /// `syscalls`: the rules.
    #[serde(default, deserialize_with = "objects")]
    pub syscalls: Option<Vec<SyscallRule>>,
}

/// One `archMap` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMapEntry {
    /// `architecture`: the main `SCMP_ARCH_*` name.
    #[serde(default)]
    pub architecture: Option<String>,
    /// `subArchitectures`: the other architectures the filter covers on it.
    #[serde(default)]
    pub sub_architectures: Option<Vec<String>>,
}

/// One entry of `syscalls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyscallRule {
    /// `names`: the syscalls the rule is about.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// `name` (Docker, deprecated): a single name; refused together with `names`.
    #[serde(default)]
    pub name: Option<String>,
    /// `action`: an `SCMP_ACT_*` name.
    #[serde(default)]
    pub action: Option<String>,
    /// `errnoRet`: the errno of `SCMP_ACT_ERRNO` or the data of `SCMP_ACT_TRACE`.
    #[serde(default)]
    pub errno_ret: Option<u64>,
    /// `args`: conditions on arguments.
    #[serde(default, deserialize_with = "objects")]
    pub args: Option<Vec<ArgCondition>>,
    /// `comment` (Docker): ignored.
    #[serde(default)]
    pub comment: Option<String>,
    /// `includes` (Docker): the rule applies only if every listed condition holds.
    #[serde(default, deserialize_with = "object")]
    pub includes: Option<Filter>,
    /// `excludes` (Docker): the rule is dropped if any listed condition holds.
    #[serde(default, deserialize_with = "object")]
    pub excludes: Option<Filter>,
}

/// One entry of `args`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgCondition {
    /// `index`: the argument, 0 to 5.
    #[serde(default)]
    pub index: Option<u64>,
    /// `value`: the constant (the mask for `SCMP_CMP_MASKED_EQ`).
    #[serde(default)]
    pub value: Option<u64>,
    /// `valueTwo`: the datum of `SCMP_CMP_MASKED_EQ`; unused by other operators.
    #[serde(default)]
    pub value_two: Option<u64>,
    /// `op`: an `SCMP_CMP_*` name.
    #[serde(default)]
    pub op: Option<String>,
}

/// Docker's `includes`/`excludes` conditions: when a rule of a [`Profile`]
/// applies (capabilities, architectures, `minKernel`).
///
/// Not a seccomp filter, despite Docker's name (`types.Filter`): nothing
/// converts between it and `seccompy::Filter` or [`Policy`](crate::Policy).
/// A whole profile becomes one: [`Profile::resolve`] gives a
/// [`Resolved`](super::Resolved), whose [`to_policy`](super::Resolved::to_policy)
/// is the compiler's [`Policy`](crate::Policy), which `seccompy::Filter::try_from`
/// turns into the documented API's filter.
#[doc(alias = "includes")]
#[doc(alias = "excludes")]
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// `caps`: capability names (`CAP_SYS_ADMIN`).
    #[serde(default)]
    pub caps: Option<Vec<String>>,
    /// `arches`: Docker architecture names (`amd64`, `arm64`, `x86`, ...).
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    /// `minKernel`: `"<kernel>.<major>"`.
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// An OCI bundle's `config.json`, reduced to its seccomp object.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct OciConfig {
    #[serde(default, deserialize_with = "object")]
    pub linux: Option<OciLinux>,
}

/// The `linux` object of a `config.json`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct OciLinux {
    #[serde(default, deserialize_with = "object")]
    pub seccomp: Option<Profile>,
}

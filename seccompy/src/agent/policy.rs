//! The agent's policy: which handler answers which notified call, per profile,
//! the profile chosen by the container's `listenerMetadata`.
//!
//! # The file
//!
//! A JSON object (schema: `docs/agent-policy.schema.json`):
//!
//! ```json
//! {
//!   "profiles": {
//!     "default": {
//!       "mknod": "mknod",
//!       "mknodat": "mknod",
//!       "mkdir": { "errno": "EACCES" },
//!       "*": { "errno": "EPERM" }
//!     },
//!     "builder": {
//!       "mount": { "mount": ["proc", "tmpfs"] },
//!       "sysinfo": "sysinfo",
//!       "getcwd": "continue",
//!       "reboot": "kill"
//!     }
//!   }
//! }
//! ```
//!
//! Each profile maps system call names (of the host's ABI) to a handler;
//! `"*"` is the handler of every other notified call (without one: `EPERM`).
//! A container gets the profile its `listenerMetadata` names; with metadata
//! that names none, the profile `"default"` if the file has one, else the
//! built-in default ([`Policy::builtin`]). Annotations are never consulted: the
//! workload sets them.
//!
//! Errors name the line and column.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::sys::syscalls::Abi;
use crate::unotify::Errno;

/// What answers a notified call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handler {
    /// `"mknod"`: `mknod`/`mknodat` of a safe device node
    /// ([`SAFE_DEVICES`](super::SAFE_DEVICES)) performed by the agent in the
    /// caller's root and cwd with its credentials (filesystem ids, groups,
    /// umask, and capabilities where they apply, plus `CAP_MKNOD`); FIFOs, sockets and regular
    /// files are left to the kernel (`CONTINUE`: no privilege is involved);
    /// other devices refused with `EPERM`.
    Mknod,
    /// `{"mount": [types]}`: `mount` of these filesystem types performed by the
    /// agent in the caller's namespaces, when the caller has `CAP_SYS_ADMIN` in
    /// its own user namespace; anything else refused with `EPERM`.
    Mount(Vec<String>),
    /// `"sysinfo"`: `sysinfo` answered from the container's cgroup limits.
    Sysinfo,
    /// `{"errno": "EPERM"}` or `{"errno": 1}`: refuse with this errno.
    Errno(Errno),
    /// `"kill"`: kill the container (its init, `SIGKILL`); the call gets `ENOSYS`
    /// should it survive.
    Kill,
    /// `"continue"`: let the kernel run the call (`CONTINUE`). Only for calls
    /// whose effect the kernel's own permission checks decide; the agent checks
    /// nothing.
    Continue,
}

impl Handler {
    /// Whether the handler answers at once, without system calls of its own
    /// beyond reading the caller's memory (`errno`, `continue`).
    #[must_use]
    pub fn is_quick(&self) -> bool {
        matches!(self, Handler::Errno(_) | Handler::Continue)
    }

    /// The handler's name in the policy file.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Handler::Mknod => "mknod",
            Handler::Mount(_) => "mount",
            Handler::Sysinfo => "sysinfo",
            Handler::Errno(_) => "errno",
            Handler::Kill => "kill",
            Handler::Continue => "continue",
        }
    }
}

/// The handlers of one profile.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Profile {
    /// By system call name.
    pub syscalls: BTreeMap<String, Handler>,
    /// For every other notified call.
    pub other: Option<Handler>,
}

impl Profile {
    /// The handler of the call named `name` (`None`: an unknown number).
    #[must_use]
    pub fn handler(&self, name: Option<&str>) -> Handler {
        name.and_then(|n| self.syscalls.get(n))
            .or(self.other.as_ref())
            .cloned()
            .unwrap_or(Handler::Errno(Errno::EPERM))
    }
}

/// Profiles by name.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    /// The profiles, by the `listenerMetadata` that selects them.
    pub profiles: BTreeMap<String, Profile>,
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
#[error("policy line {line}, column {column}: {message}")]
pub struct PolicyError {
    /// The line (from 1).
    pub line: usize,
    /// The column (from 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Policy {
    /// The built-in default: one profile `"default"` with safe `mknod`
    /// emulation (`mknod`, `mknodat`) and `EPERM` for every other call.
    #[must_use]
    pub fn builtin() -> Policy {
        let mut profile = Profile {
            other: Some(Handler::Errno(Errno::EPERM)),
            ..Profile::default()
        };
        profile.syscalls.insert("mknod".into(), Handler::Mknod);
        profile.syscalls.insert("mknodat".into(), Handler::Mknod);
        let mut profiles = BTreeMap::new();
        profiles.insert("default".into(), profile);
        Policy { profiles }
    }

    /// Reads a policy file's text.
    ///
    /// # Errors
    /// [`PolicyError`] with the line and column of the first problem.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let file: File = serde_json::from_str(text).map_err(|e| PolicyError {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        Ok(Policy {
            profiles: file
                .profiles
                .into_iter()
                .map(|(name, p)| {
                    let mut profile = Profile::default();
                    for (key, handler) in p.0 {
                        match key.0 {
                            None => profile.other = Some(handler),
                            Some(name) => {
                                profile.syscalls.insert(name, handler);
                            }
                        }
                    }
                    (name, profile)
                })
                .collect(),
        })
    }

    /// The profile for a container whose `listenerMetadata` is `metadata`, and
    /// the name it goes by: the profile of that name, else `"default"`, else the
    /// built-in default.
    #[must_use]
    pub fn profile_for(&self, metadata: &str) -> (&str, Profile) {
        if let Some((name, p)) = self.profiles.get_key_value(metadata) {
            return (name, p.clone());
        }
        if let Some((name, p)) = self.profiles.get_key_value("default") {
            return (name, p.clone());
        }
        let builtin = Policy::builtin();
        (
            "builtin",
            builtin.profiles.into_values().next().unwrap_or_default(),
        )
    }
}

/// serde_json's message ends with " at line L column C": we say it first.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    profiles: BTreeMap<String, FileProfile>,
}

struct FileProfile(Vec<(Key, Handler)>);

impl<'de> Deserialize<'de> for FileProfile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = FileProfile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of system call names and handlers")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<FileProfile, A::Error> {
                let mut out: Vec<(Key, Handler)> = Vec::new();
                while let Some(key) = map.next_key::<Key>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format_args!(
                            "{} is given twice",
                            key.0.as_deref().unwrap_or("\"*\"")
                        )));
                    }
                    let handler = map.next_value::<Handler>()?;
                    out.push((key, handler));
                }
                Ok(FileProfile(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A system call name of the host's ABI, or `"*"` (`None`).
#[derive(PartialEq, Eq)]
struct Key(Option<String>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name == "*" {
            return Ok(Key(None));
        }
        let Some(abi) = Abi::host() else {
            return Err(de::Error::custom(
                "this host's ABI has no system call table",
            ));
        };
        if abi.syscall_nr(&name).is_none() {
            return Err(de::Error::custom(format_args!(
                "unknown system call {name:?} (for {})",
                abi.name()
            )));
        }
        Ok(Key(Some(name)))
    }
}

impl<'de> Deserialize<'de> for Handler {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum ErrnoValue {
            Number(i32),
            Name(String),
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "lowercase", deny_unknown_fields)]
        enum Raw {
            Mknod,
            Sysinfo,
            Kill,
            Continue,
            Errno(ErrnoValue),
            Mount(Vec<String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Mknod => Handler::Mknod,
            Raw::Sysinfo => Handler::Sysinfo,
            Raw::Kill => Handler::Kill,
            Raw::Continue => Handler::Continue,
            Raw::Mount(types) => {
                if let Some(t) = types
                    .iter()
                    .find(|t| !super::mount::ALLOWED_TYPES.contains(&t.as_str()))
                {
                    return Err(de::Error::custom(format_args!(
                        "filesystem type {t:?} cannot be mounted by the agent (it can: {})",
                        super::mount::ALLOWED_TYPES.join(", ")
                    )));
                }
                Handler::Mount(types)
            }
            Raw::Errno(ErrnoValue::Number(n)) => Handler::Errno(Errno::new(n).map_err(|_| {
                de::Error::custom(format_args!("errno {n} is not between 1 and 4095"))
            })?),
            Raw::Errno(ErrnoValue::Name(n)) => Handler::Errno(
                Errno::from_name(&n)
                    .ok_or_else(|| de::Error::custom(format_args!("unknown errno name {n:?}")))?,
            ),
        })
    }
}

impl Serialize for Handler {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Handler::Errno(e) => {
                let mut m = s.serialize_map(Some(1))?;
                match e.name() {
                    Some(n) => m.serialize_entry("errno", n)?,
                    None => m.serialize_entry("errno", &e.get())?,
                }
                m.end()
            }
            Handler::Mount(types) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("mount", types)?;
                m.end()
            }
            other => s.serialize_str(other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_file_reads() {
        let p = Policy::parse(
            r#"{"profiles": {"web": {"mknodat": "mknod", "mkdir": {"errno": "EACCES"},
               "mount": {"mount": ["proc"]}, "reboot": "kill", "getcwd": "continue",
               "sysinfo": "sysinfo", "*": {"errno": 38}}}}"#,
        )
        .unwrap();
        let (name, web) = p.profile_for("web");
        assert_eq!(name, "web");
        assert_eq!(web.handler(Some("mkdir")), Handler::Errno(Errno::EACCES));
        assert_eq!(web.handler(Some("mknodat")), Handler::Mknod);
        assert_eq!(
            web.handler(Some("mount")),
            Handler::Mount(vec!["proc".into()])
        );
        assert_eq!(web.handler(Some("reboot")), Handler::Kill);
        assert_eq!(web.handler(Some("getcwd")), Handler::Continue);
        assert_eq!(web.handler(Some("sysinfo")), Handler::Sysinfo);
        assert_eq!(web.handler(Some("rmdir")), Handler::Errno(Errno::ENOSYS));
        assert_eq!(web.handler(None), Handler::Errno(Errno::ENOSYS));
        // Metadata naming no profile, and no "default": the built-in one.
        let (name, other) = p.profile_for("nope");
        assert_eq!(name, "builtin");
        assert_eq!(other.handler(Some("mknod")), Handler::Mknod);
        assert_eq!(other.handler(Some("mkdir")), Handler::Errno(Errno::EPERM));
    }

    #[test]
    fn errors_have_line_and_column() {
        let cases: &[(&str, usize, usize, &str)] = &[
            (
                "{\"profiles\": {\"a\": {\n  \"mkdri\": \"kill\"}}}",
                2,
                9,
                "unknown system call",
            ),
            (
                "{\"profiles\": {\"a\": {\n\n  \"mkdir\": \"allow\"}}}",
                3,
                18,
                "unknown variant",
            ),
            (
                "{\"profiles\": {\"a\": {\"mkdir\": {\"errno\": \"EWHAT\"}}}}",
                1,
                48,
                "unknown errno",
            ),
            (
                "{\"profiles\": {\"a\": {\"mkdir\": {\"errno\": 0}}}}",
                1,
                42,
                "between 1 and 4095",
            ),
            (
                "{\"profiles\": {\"a\": {\"mount\": {\"mount\": [\"ext4\"]}}}}",
                1,
                49,
                "cannot be mounted",
            ),
            (
                "{\"profiles\": {\"a\": {\"kill\": \"kill\", \"kill\": \"kill\"}}}",
                1,
                42,
                "given twice",
            ),
            ("{\"profile\": {}}", 1, 10, "unknown field"),
        ];
        for &(text, line, column, what) in cases {
            let e = Policy::parse(text).unwrap_err();
            assert!(e.message.contains(what), "{text}: {e}");
            assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("policy line {line}, column {column}: "))
            );
        }
    }

    #[test]
    fn the_schema_and_the_code_agree() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/agent-policy.schema.json")).unwrap();
        let handler = &schema["$defs"]["handler"]["oneOf"];
        let types: Vec<&str> = handler[5]["properties"]["mount"]["items"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(types, super::super::mount::ALLOWED_TYPES);
        let names: Vec<&str> = (0..4)
            .map(|i| handler[i]["const"].as_str().unwrap())
            .collect();
        for name in names {
            let h: Handler = serde_json::from_str(&format!("{name:?}")).unwrap();
            assert_eq!(h.name(), name);
        }
        // The README's example policy reads.
        Policy::parse(
            r#"{"profiles": {"default": {"mknod": "mknod", "mknodat": "mknod",
               "mkdir": {"errno": "EACCES"}, "*": {"errno": "EPERM"}},
               "builder": {"mount": {"mount": ["proc", "tmpfs"]}, "sysinfo": "sysinfo",
               "getcwd": "continue", "reboot": "kill"}}}"#,
        )
        .unwrap();
    }

    #[test]
    fn handlers_serialize_as_they_read() {
        for h in [
            Handler::Mknod,
            Handler::Errno(Errno::EROFS),
            Handler::Mount(vec!["tmpfs".into()]),
            Handler::Kill,
        ] {
            let text = serde_json::to_string(&h).unwrap();
            assert_eq!(serde_json::from_str::<Handler>(&text).unwrap(), h, "{text}");
        }
    }
}
